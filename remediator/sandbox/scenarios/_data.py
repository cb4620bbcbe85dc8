"""Fixed vocabularies for generated tenants: names, jobs, places, networks, browsers, apps.

Plain tuples, chosen by a seeded `random.Random`, so a tenant is cheap to generate and the same
seed always gives the same people. Nothing here is real personal data.
"""

from __future__ import annotations

COMPANIES = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wayne", "stark", "tyrell",
    "soylent", "cyberdyne", "wonka", "gringotts", "oscorp", "nakatomi", "massive", "dunder",
    "pied", "aperture", "blackmesa", "monarch", "waystar", "contoso", "fabrikam",
)

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
    "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah",
    "Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
    "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
    "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra", "Frank",
    "Rachel", "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry",
    "Heather", "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam", "Olivia", "Nathan", "Joyce",
    "Henry", "Virginia", "Douglas", "Victoria", "Zachary", "Kelly", "Peter", "Lauren", "Kyle", "Christina",
    "Ethan", "Joan", "Walter", "Evelyn", "Noah", "Judith", "Jeremy", "Megan", "Christian", "Andrea",
    "Keith", "Cheryl", "Roger", "Hannah", "Terry", "Jacqueline", "Gerald", "Martha", "Harold", "Gloria",
    "Sean", "Teresa", "Austin", "Ann", "Carl", "Sara", "Arthur", "Madison", "Lawrence", "Frances",
    "Dylan", "Kathryn", "Jesse", "Janice", "Jordan", "Jean", "Bryan", "Abigail", "Billy", "Alice",
    "Aisha", "Wei", "Priya", "Hiroshi", "Fatima", "Mateo", "Ingrid", "Kwame", "Sofia", "Arjun",
    "Yuki", "Omar", "Chiara", "Lars", "Amara", "Diego", "Mei", "Ravi", "Leila", "Tomasz",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez",
    "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart",
    "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks",
    "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins",
    "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Gonzales",
    "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
    "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry",
    "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter",
    "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
    "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
    "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
    "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "Okafor", "Tanaka", "Kowalski", "Haddad", "Lindqvist", "Mensah", "Rossi", "Yamamoto", "Singh", "Novak",
    "Ivanova", "Dubois", "Schneider", "Andersen", "Costa", "Kaur", "Nakamura", "Petrov", "Moretti", "Haas",
)

# department -> (cost centre prefix, job titles)
DEPARTMENTS = (
    ("Engineering", "ENG", ("Software Engineer", "Senior Software Engineer", "Staff Engineer",
                            "Engineering Manager", "QA Engineer", "Site Reliability Engineer")),
    ("Sales", "SLS", ("Account Executive", "Sales Development Representative", "Regional Sales Manager",
                      "Solutions Engineer")),
    ("Customer Support", "SUP", ("Support Specialist", "Senior Support Engineer", "Support Team Lead")),
    ("Marketing", "MKT", ("Marketing Manager", "Content Strategist", "Product Marketing Manager",
                          "Demand Generation Specialist")),
    ("Finance", "FIN", ("Financial Analyst", "Accountant", "Controller", "Payroll Specialist")),
    ("Human Resources", "HR", ("HR Business Partner", "Recruiter", "People Operations Specialist")),
    ("Operations", "OPS", ("Operations Analyst", "Logistics Coordinator", "Facilities Manager",
                           "Procurement Specialist")),
    ("Legal", "LGL", ("Corporate Counsel", "Paralegal", "Compliance Analyst")),
    ("Product", "PRD", ("Product Manager", "Senior Product Manager", "UX Designer", "UX Researcher")),
    ("Information Technology", "IT", ("IT Support Specialist", "Systems Administrator",
                                      "IAM Engineer", "IT Manager", "Security Engineer")),
)
# how many people each department has, relative to the others
DEPARTMENT_WEIGHTS = (30, 14, 12, 7, 6, 4, 10, 2, 6, 9)

# city, state, country, postalCode, lat, lon, (asNumber, asOrg, isp, domain), ip first octets
PLACES = (
    ("San Francisco", "California", "United States", "94107", 37.7697, -122.3933,
     (7922, "comcast", "comcast cable communications llc", "comcast.net"), (73, 189)),
    ("New York", "New York", "United States", "10001", 40.7484, -73.9967,
     (701, "verizon", "verizon business", "verizon.net"), (71, 190)),
    ("Austin", "Texas", "United States", "78701", 30.2711, -97.7437,
     (11427, "charter communications", "spectrum", "rr.com"), (24, 70)),
    ("Chicago", "Illinois", "United States", "60601", 41.8857, -87.6181,
     (7018, "at&t", "at&t corp.", "att.net"), (99, 108)),
    ("Seattle", "Washington", "United States", "98101", 47.6101, -122.3365,
     (7922, "comcast", "comcast cable communications llc", "comcast.net"), (67, 73)),
    ("Denver", "Colorado", "United States", "80202", 39.7525, -104.9995,
     (209, "centurylink", "centurylink communications", "centurylink.net"), (174, 75)),
    ("Boston", "Massachusetts", "United States", "02110", 42.3570, -71.0511,
     (701, "verizon", "verizon business", "verizon.net"), (72, 96)),
    ("Atlanta", "Georgia", "United States", "30303", 33.7527, -84.3921,
     (7018, "at&t", "at&t corp.", "att.net"), (107, 99)),
    ("London", "England", "United Kingdom", "EC2V", 51.5164, -0.0930,
     (2856, "british telecommunications plc", "bt", "bt.com"), (81, 86)),
    ("Dublin", "Leinster", "Ireland", "D02", 53.3381, -6.2592,
     (5466, "eircom limited", "eir", "eircom.net"), (86, 89)),
    ("Toronto", "Ontario", "Canada", "M5H", 43.6509, -79.3839,
     (577, "bell canada", "bell canada", "bell.ca"), (142, 70)),
    ("Berlin", "Land Berlin", "Germany", "10117", 52.5170, 13.3889,
     (3320, "deutsche telekom ag", "deutsche telekom ag", "t-ipconnect.de"), (87, 91)),
)

# raw user agent, os, browser, device
USER_AGENTS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/97.0.4692.99 Safari/537.36", "Windows 10", "CHROME", "Computer"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/98.0.4758.102 Safari/537.36 Edg/98.0.1108.62", "Windows 10", "EDGE_CHROMIUM", "Computer"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/98.0.4758.109 Safari/537.36", "Mac OS X", "CHROME", "Computer"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/15.3 Safari/605.1.15", "Mac OS X", "SAFARI", "Computer"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:96.0) Gecko/20100101 Firefox/96.0",
     "Mac OS X", "FIREFOX", "Computer"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 15_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/15.3 Mobile/15E148 Safari/604.1", "iOS", "MOBILE_SAFARI", "Mobile"),
    ("Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/98.0.4758.101 Mobile Safari/537.36", "Android", "CHROME", "Mobile"),
)

# label, signOnModeType
APPS = (
    ("Slack", "SAML_2_0"), ("Zoom", "SAML_2_0"), ("Salesforce.com", "SAML_2_0"),
    ("Google Workspace", "SAML_2_0"), ("Microsoft Office 365", "WS_FEDERATION"),
    ("Atlassian Cloud", "SAML_2_0"), ("GitHub Enterprise Cloud - Organization", "SAML_2_0"),
    ("Workday", "SAML_2_0"), ("ServiceNow UD", "SAML_2_0"), ("Box", "SAML_2_0"), ("DocuSign", "SAML_2_0"),
    ("AWS IAM Identity Center", "SAML_2_0"), ("Zendesk", "SAML_2_0"), ("Tableau Online", "SAML_2_0"),
    ("Expense Portal", "OPENID_CONNECT"), ("Intranet", "OPENID_CONNECT"),
)
# relative popularity of each app above
APP_WEIGHTS = (30, 18, 8, 20, 22, 14, 6, 5, 5, 4, 2, 3, 3, 2, 3, 6)
