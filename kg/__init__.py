"""Knowledge graph of strategic partnerships in official statistics and their legal frameworks."""
from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

BASE = "https://w3id.org/nso-partnership/"
NSP = BASE + "ontology#"
VOCAB = BASE + "vocab/"
GRAPH = BASE + "graph/"
INFERRED_GRAPH = GRAPH + "inferred"

PREFIXES: dict[str, str] = {
    "nsp": NSP,
    "eli": "http://data.europa.eu/eli/ontology#",
    "dct": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "pav": "http://purl.org/pav/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dpv": "https://w3id.org/dpv#",
    "country": "http://publications.europa.eu/resource/authority/country/",
    "pt": VOCAB + "partnership-type/",
    "cs": VOCAB + "case-status/",
    "oc": VOCAB + "outcome/",
    "role": VOCAB + "participation-role/",
    "sector": VOCAB + "partner-sector/",
    "dst": VOCAB + "data-source-type/",
    "diff": VOCAB + "difficulty-category/",
    "mod": VOCAB + "legal-modality/",
    "topic": VOCAB + "legal-topic/",
    "pos": VOCAB + "legal-position/",
    "conf": VOCAB + "confidence/",
}


def project_root() -> Path:
    """The folder holding ontology/, shapes/, data/ and queries/ (KG_ROOT overrides)."""
    env = os.environ.get("KG_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """Where the on-disk store lives (KG_DATA_DIR overrides)."""
    env = os.environ.get("KG_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "build"
