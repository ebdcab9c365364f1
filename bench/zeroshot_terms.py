"""Zero-shot refinement with TF-IDF terms (issue #13: "TF-IDF terms of confidently matched
tickets"): does a hybrid head fitted on the self-trained head's confident pseudo-labels lift the
sample export's fields?

Per field of the sample export (taxonomy descriptions, no labels): the self-trained cold-start
head (`fit_field_detail`, as `train --zero-shot`); then ROUNDS rounds of a LogisticRegression on
word + character TF-IDF beside the embedding, fitted on the widest-margin half of each label's
tickets under the previous round's predictions (`confident_rows`), scored against the sample's
true labels (transductive, as the cold-start table). Prints, writes nothing.

    python bench/zeroshot_terms.py [ROUNDS]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.coldstart import _read_all
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.features import make_text_features
from training.coldstart.model import ColdStartConfig, fit_field_detail
from training.coldstart.prototypes import confident_rows, description_prototypes
from training.io.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]


def _say(field: str, step: str, truth: np.ndarray, predicted: np.ndarray) -> None:
    accuracy = accuracy_score(truth, predicted)
    macro = f1_score(truth, predicted, average="macro")
    print(f"{field}: {step}: accuracy {accuracy:.3f}, macro-F1 {macro:.3f}", flush=True)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    warnings.simplefilter("ignore", ConvergenceWarning)
    cache = EmbeddingCache(ROOT / "bench" / "out" / "embeddings.sqlite")
    embedder = CachedEmbedder(SentenceTransformerEmbedder(), cache)
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomy.yaml")
    for field in ("category", "feature"):
        _, texts, vectors, truth = _read_all(ROOT / "data" / "sample_tickets.csv", field, embedder)
        labels, prototypes = description_prototypes(embedder, taxonomy, field, source=field)
        head = fit_field_detail(prototypes, labels, vectors, {}, ColdStartConfig()).head
        proba = head.predict_proba(vectors.astype(np.float32))
        classes = np.asarray(head.classes_)
        _say(field, "self-trained head", truth, classes[proba.argmax(axis=1)])
        features = hstack(
            [make_text_features().fit_transform(texts), csr_matrix(vectors)], format="csr"
        )
        for step in range(rounds):
            ordered = np.sort(proba, axis=1)
            chosen = confident_rows(
                proba.argmax(axis=1), ordered[:, -1] - ordered[:, -2], len(labels), 0.5
            )
            hybrid = LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000)
            hybrid.fit(features[chosen], classes[proba.argmax(axis=1)[chosen]])
            proba = hybrid.predict_proba(features)
            _say(field, f"TF-IDF round {step + 1}", truth, hybrid.classes_[proba.argmax(axis=1)])


if __name__ == "__main__":
    main()
