"""What trainers work with: the review inbox, their labels, retraining jobs and model versions
(docs/training.md)."""
