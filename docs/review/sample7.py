"""Draw the seventh issue-12 review sample (docs/review/whole_graph.py, review 7: seed and method there).
Usage: .venv/bin/python docs/review/sample7.py [--rev REV]"""
from whole_graph import main

if __name__ == "__main__":
    main(7)
