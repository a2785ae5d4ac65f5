import XCTest
@testable import Keras

/// JAX's threefry2x32 and the transforms Keras 3 applies on the JAX backend, against numbers jax
/// 0.10.2 / keras 3.15.1 printed (CPU, `jax_threefry_partitionable` on, its default), made by:
///
/// ```python
/// import os; os.environ["KERAS_BACKEND"] = "jax"
/// import jax, jax.numpy as jnp, numpy as np, keras
/// from jax._src.random.threefry2x32 import threefry_2x32
/// K = lambda s, c: jnp.array([s, c], dtype=jnp.uint32)
/// threefry_2x32(jnp.array(k, dtype=jnp.uint32), jnp.array(x, dtype=jnp.uint32))   # hash
/// jax.random.bits(K(42, 0), (5,)); jax.random.bits(K(7, 3), (5,))                 # bits
/// bits = lambda a: np.asarray(a, np.float32).view(np.uint32)
/// bits(keras.random.uniform((6,), -0.3, 0.77, seed=K(1234, 5)))
/// bits(keras.random.normal((6,), 0.5, 2.0, seed=K(42, 0)))
/// bits(keras.random.truncated_normal((6,), 0.1, 0.3, seed=K(9, 2)))
/// keras.random.randint((8,), -5, 1000, seed=K(77, 1))
/// keras.random.shuffle(np.arange(10), seed=K(5, 0))
/// keras.random.shuffle(np.arange(12).reshape(3, 4), axis=1, seed=K(5, 0))
/// ```
final class ThreefryTests: XCTestCase {
    func testHashIsThreefry2x32() {
        // The first is Random123's known answer for 20 rounds.
        let cases: [((UInt32, UInt32), (UInt32, UInt32), (UInt32, UInt32))] = [
            ((0, 0), (0, 0), (0x6B20_0159, 0x99BA_4EFE)),
            ((0xFFFF_FFFF, 0xFFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF), (0x1CB9_96FC, 0xBB00_2BE7)),
            ((0x1319_8A2E, 0x0370_7344), (0x243F_6A88, 0x85A3_08D3), (0xC492_3A9C, 0x483D_F7A0)),
        ]
        for (key, count, expected) in cases {
            let out = ThreefryKey(key.0, key.1).hash(count.0, count.1)
            XCTAssertEqual(out.0, expected.0); XCTAssertEqual(out.1, expected.1)
        }
    }

    func testRandomBitsAreJaxs() {
        XCTAssertEqual((0..<5).map { ThreefryKey(42, 0).bits(at: $0) },
                       [0x9115_32A1, 0x10C7_CDB8, 0x61B5_4987, 0xB643_3E01, 0xC940_CB96])
        XCTAssertEqual((0..<5).map { ThreefryKey(7, 3).bits(at: $0) },
                       [0x2DF8_A3CC, 0x9A67_4D3B, 0xB6CA_6111, 0xBE86_3904, 0xF0E6_2324])
    }

    private func floats(_ n: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [UInt32] {
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { fill(p) } }
        return out.map(\.bitPattern)
    }

    func testFloatDrawsAreKerasOnJaxBitForBit() {
        XCTAssertEqual(floats(6) { ThreefryKey(1234, 5).fillUniform($0, count: 6, minval: -0.3, maxval: 0.77) },
                       [0x3E02_5305, 0xBDE2_83DF, 0x3EE8_CB61, 0x3F0C_B9F3, 0xBC12_758D, 0xBE0F_A290])
        XCTAssertEqual(floats(6) { ThreefryKey(42, 0).fillNormal($0, count: 6, mean: 0.5, stddev: 2) },
                       [0x3F56_0B34, 0xC021_40C2, 0xBDD1_4538, 0x3FCF_2329, 0x4005_84D2, 0x3C07_CE00])
        XCTAssertEqual(floats(6) { ThreefryKey(9, 2).fillTruncatedNormal($0, count: 6, mean: 0.1, stddev: 0.3) },
                       [0x3C96_3D84, 0xBE11_C79E, 0x3E74_8B0C, 0x3F2F_E3B0, 0x3E88_82B6, 0x3E09_8E1B])
    }

    func testRandintAndShuffleAreKerasOnJax() {
        var ints = [Int32](repeating: 0, count: 8)
        ints.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { ThreefryKey(77, 1).fillRandint(p, count: 8, minval: -5, maxval: 1000) } }
        XCTAssertEqual(ints, [104, 506, 845, 969, 394, 259, 810, 374])
        XCTAssertEqual(ThreefryKey(5, 0).permutation(outer: 1, n: 10, inner: 1), [6, 4, 5, 9, 8, 3, 7, 1, 2, 0])
        // Each row of a 3×4 array shuffled on its own along axis 1 (positions within the row).
        XCTAssertEqual(ThreefryKey(5, 0).permutation(outer: 3, n: 4, inner: 1), [3, 1, 2, 0, 2, 0, 1, 3, 2, 3, 1, 0])
    }

    func testSeededInitializerIsKerasDraw() {
        // Keras: RandomNormal(mean=0.5, stddev=2.0, seed=42) draws keras.random.normal(seed=42),
        // whose key is [42, 0].
        let t = RandomNormal(mean: 0.5, stddev: 2, seed: 42)([2, 3])
        XCTAssertEqual(t.scalars.map(\.bitPattern), [0x3F56_0B34, 0xC021_40C2, 0xBDD1_4538, 0x3FCF_2329, 0x4005_84D2, 0x3C07_CE00])
    }

    /// The Bernoulli mask's integer threshold gives the element-wise `unit < p` at every keep
    /// probability.
    func testBernoulliMaskEqualsTheUniformComparison() {
        let key = ThreefryKey(7, 3)
        let n = 1003
        let out = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { out.deallocate() }
        for p: Float in [0.7, 0.5, 0.1, 0.999, 1] {
            key.fillBernoulliScaled(out, count: n, p: p, scale: 2)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: out, count: n)), (0..<n).map { key.unit(at: $0) < p ? 2 : 0 }, "p \(p)")
        }
    }
}
