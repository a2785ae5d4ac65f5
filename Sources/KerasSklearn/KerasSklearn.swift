@_exported import Keras
