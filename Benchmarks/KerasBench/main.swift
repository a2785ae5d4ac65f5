import Keras
print("bench")
