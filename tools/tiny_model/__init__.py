"""The project's tiny streaming Emformer RNN-T: synthetic data, training, evaluation."""
