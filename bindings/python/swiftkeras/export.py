"""Keras 3's `keras.export` (ExportArchive: a TensorFlow SavedModel of chosen endpoints). Keras
writes it with TensorFlow, which this package does not use, so the archive is refused with the
way that works: save the model in Keras's format here and export it from Keras."""


class ExportArchive:
    """Keras: `keras.export.ExportArchive()`, refused here (no TensorFlow to write a
    SavedModel), as `model.export` is."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("keras.export.ExportArchive: there is no TensorFlow here to "
                                  "write a SavedModel; save the model with "
                                  "`model.save('model.keras')` (Keras's format, which Keras "
                                  "loads) and export it from Keras")


__all__ = ["ExportArchive"]
