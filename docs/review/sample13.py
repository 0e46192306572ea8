"""Draw the thirteenth issue-12 review sample (docs/review/whole_graph.py, review 13: seed and method there).
Usage: .venv/bin/python docs/review/sample13.py [--rev REV]"""
from whole_graph import main

if __name__ == "__main__":
    main(13)
