import Foundation
import Keras
if CommandLine.arguments.count > 1, let command = savingCommands[CommandLine.arguments[1]] {
    exit(command(Array(CommandLine.arguments.dropFirst(2))))
}
setRandomSeed(1337)
let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
let y = Tensor([[0], [1], [1], [0]])
let model = try Sequential()
try model.add(Dense(16, activation: .tanh, inputDim: 2))
try model.add(Dense(1, activation: .tanh))
try model.compile(optimizer: "adam", loss: "mean_squared_error", metrics: ["accuracy"])
model.summary()
let t0 = monotonicSeconds()
let h = try model.fit(x, y, epochs: 1000, verbose: 0)
print("fit", monotonicSeconds() - t0)
print(try model.predict(x))
print(h.history["accuracy"]!.last!, h.history["loss"]!.last!)
let inputs = Input(shape: [4])
let hdn = try Dense(8, activation: .relu)(inputs)
let out = try Dense(3, activation: .softmax)(hdn)
let m2 = try Model(inputs: inputs, outputs: out)
m2.summary()
m2.summary(style: .keras2)
