"""Draw the fifteenth issue-12 review sample (docs/review/whole_graph.py, review 15: seed and method there).
Usage: .venv/bin/python docs/review/sample15.py [--rev REV]"""
from whole_graph import main

if __name__ == "__main__":
    main(15)
