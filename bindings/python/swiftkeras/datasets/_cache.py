"""Where Keras's data set files are downloaded from."""

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
