"""`python -m remediator` runs the command line."""

from remediator.cli import main

if __name__ == "__main__":
    main()
