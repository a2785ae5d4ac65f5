import Foundation

/// Image kernels on `(batch, height, width, channels)` tensors: crops, padding, and the affine
/// resampling of `jax.scipy.ndimage.map_coordinates` with its fill modes (resizing is
/// ``Kernels/resampleAxis(_:outer:length:inner:_:into:transposed:)`` along each axis).
extension Kernels {
    /// The window `[top, top + height) × [left, left + width)` of every image.
    static func crop(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor.uninitialized([n, height, width, c])
        let p = x.data, o = out.data
        for b in 0..<n {
            for y in 0..<height {
                let src = p + ((b * h + top + y) * w + left) * c
                (o + (b * height + y) * width * c).update(from: src, count: width * c)
            }
        }
        return out
    }

    /// Places every image of a `(batch, h, w, channels)` batch at (`top`, `left`) of a
    /// `height × width` canvas of `value` (`top + h <= height`, `left + w <= width`).
    static func pad(_ x: Tensor, top: Int, left: Int, height: Int, width: Int, value: Float) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(shape: [n, height, width, c], repeating: value)
        let p = x.data, o = out.data
        for b in 0..<n {
            for y in 0..<h {
                (o + ((b * height + top + y) * width + left) * c).update(from: p + (b * h + y) * w * c, count: w * c)
            }
        }
        return out
    }

    /// Resamples image `b` at input points `(a0·x + a1·y + a2, b0·x + b1·y + b2)` for each output
    /// pixel `(x, y)`, with `transforms[b] = [a0, a1, a2, b0, b1, b2]` (or, projective, with
    /// `[c0, c1]` after them: both divided by `c0·x + c1·y + 1`); see ``resample``.
    static func affine(_ x: Tensor, transforms: [[Float]], bilinear: Bool, fillMode: String, fillValue: Float) -> Tensor {
        resample(x, bilinear: bilinear, fillMode: fillMode, fillValue: fillValue,
                 at: ProjectiveMaps(maps: transforms.flatMap { t in (0..<8).map { $0 < t.count ? t[$0] : 0 } }))
    }

    /// Resamples each output pixel `(x, y)` of image `b` at the input point `points` gives it (a row at a time);
    /// order 1 (bilinear) or 0 (nearest, rounding half away from zero as jax's `lax.round`),
    /// points outside handled by `fillMode` as `map_coordinates` does (`reflect`:
    /// `dcba|abcd|dcba`, `mirror`: `dcb|abcd|cba`, `wrap`, `nearest`, `constant`: `fillValue`
    /// for each outside neighbour).
    /// Generic over the points, so that each caller's are specialized into the loop, and over the
    /// fill mode, picked here once per call (not per neighbour). A pixel whose four neighbours lie
    /// inside takes them directly: every fill mode leaves inside indices as they are.
    static func resample<P: SamplePoints>(_ x: Tensor, bilinear: Bool, fillMode: String, fillValue: Float, at points: P) -> Tensor {
        switch fillMode {
        case "nearest": return resample(x, bilinear: bilinear, fillValue: fillValue, at: points, outside: NearestFill.self)
        case "wrap": return resample(x, bilinear: bilinear, fillValue: fillValue, at: points, outside: WrapFill.self)
        case "mirror": return resample(x, bilinear: bilinear, fillValue: fillValue, at: points, outside: MirrorFill.self)
        case "reflect": return resample(x, bilinear: bilinear, fillValue: fillValue, at: points, outside: ReflectFill.self)
        default: return resample(x, bilinear: bilinear, fillValue: fillValue, at: points, outside: ConstantFill.self)
        }
    }

    private static func resample<P: SamplePoints, F: FillIndex>(_ x: Tensor, bilinear: Bool, fillValue: Float, at points: P,
                                                                outside: F.Type) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        // One output row's sample points, made at once (the per-row work of the map hoisted).
        let xs = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(w, 1))
        let ys = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(w, 1))
        defer { xs.deallocate(); ys.deallocate() }
        for b in 0..<n {
            let image = p + b * h * w * c
            for y in 0..<h {
                points.row(image: b, y: y, width: w, x: xs, y: ys)
                for xo in 0..<w {
                    let xin = xs[xo], yin = ys[xo]
                    let dst = o + ((b * h + y) * w + xo) * c
                    // Far outside (a projective map's vanishing line): the fill, no integer index.
                    guard xin.magnitude < 1e7, yin.magnitude < 1e7 else {
                        for k in 0..<c { dst[k] = fillValue }
                        continue
                    }
                    guard bilinear else {
                        let iy = Int(yin.rounded(.toNearestOrAwayFromZero)), ix = Int(xin.rounded(.toNearestOrAwayFromZero))
                        if let fy = F.fix(iy, h), let fx = F.fix(ix, w) {
                            let src = image + (fy * w + fx) * c
                            for k in 0..<c { dst[k] = src[k] }
                        } else {
                            for k in 0..<c { dst[k] = fillValue }
                        }
                        continue
                    }
                    let fy = yin.rounded(.down), fx = xin.rounded(.down)
                    let iy = Int(fy), ix = Int(fx)
                    let wy1 = yin - fy, wx1 = xin - fx, wy0 = 1 - wy1, wx0 = 1 - wx1
                    let w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0, w11 = wy1 * wx1
                    if iy >= 0, iy + 1 < h, ix >= 0, ix + 1 < w {
                        // All four neighbours inside: every fill mode leaves them as they are.
                        let s00 = image + (iy * w + ix) * c, s10 = s00 + w * c
                        for k in 0..<c { dst[k] = w00 * s00[k] + w01 * s00[c + k] + w10 * s10[k] + w11 * s10[c + k] }
                        continue
                    }
                    for k in 0..<c { dst[k] = 0 }
                    for (ty, wy) in [(iy, wy0), (iy + 1, wy1)] {
                        let ry = F.fix(ty, h)
                        for (tx, weight) in [(ix, wy * wx0), (ix + 1, wy * wx1)] {
                            guard let ry, let rx = F.fix(tx, w) else {
                                for k in 0..<c { dst[k] += weight * fillValue }
                                continue
                            }
                            let src = image + (ry * w + rx) * c
                            for k in 0..<c { dst[k] += weight * src[k] }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// How ``Kernels/resample`` maps an index `i` along an axis of `size` onto the input: the
/// index it reads, or nil for the fill value (`map_coordinates`'s index fixers).
protocol FillIndex {
    static func fix(_ i: Int, _ size: Int) -> Int?
}

private enum NearestFill: FillIndex {
    static func fix(_ i: Int, _ size: Int) -> Int? { Swift.min(Swift.max(i, 0), size - 1) }
}

private enum WrapFill: FillIndex {
    static func fix(_ i: Int, _ size: Int) -> Int? { ((i % size) + size) % size }
}

private enum MirrorFill: FillIndex {
    /// _mirror_index_fixer: |((i + s) mod 2s) − s|, s = size − 1.
    static func fix(_ i: Int, _ size: Int) -> Int? {
        let s = size - 1
        return s == 0 ? 0 : abs((((i + s) % (2 * s)) + 2 * s) % (2 * s) - s)
    }
}

private enum ReflectFill: FillIndex {
    /// _reflect_index_fixer: floor((mirror(2i + 1, 2·size + 1) − 1) / 2).
    static func fix(_ i: Int, _ size: Int) -> Int? {
        let s = 2 * size
        let m = abs((((2 * i + 1) + s) % (2 * s) + 2 * s) % (2 * s) - s)
        return (m - 1) >= 0 ? (m - 1) / 2 : -1
    }
}

private enum ConstantFill: FillIndex {
    static func fix(_ i: Int, _ size: Int) -> Int? { i >= 0 && i < size ? i : nil }
}

/// Where ``Kernels/resample`` samples the input for each output pixel.
protocol SamplePoints {
    /// The input points `(x[i], y[i])` that output pixels `(i, y)`, `i < width`, of image `image` take.
    func row(image: Int, y: Int, width: Int, x xs: UnsafeMutablePointer<Float>, y ys: UnsafeMutablePointer<Float>)
}

/// Eight numbers `[a0, a1, a2, b0, b1, b2, c0, c1]` per image: the point is
/// `((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k)`, `k = c0·x + c1·y + 1` (1 for an affine map).
struct ProjectiveMaps: SamplePoints {
    let maps: [Float]
    func row(image: Int, y: Int, width: Int, x xs: UnsafeMutablePointer<Float>, y ys: UnsafeMutablePointer<Float>) {
        let t = 8 * image, fy = Float(y)
        let (a0, a2, b0, b2, c0) = (maps[t], maps[t + 2], maps[t + 3], maps[t + 5], maps[t + 6])
        // The terms in y once a row (the sums in the order of `(a0·x + a1·y + a2) / k`).
        let a1y = maps[t + 1] * fy, b1y = maps[t + 4] * fy, c1y = maps[t + 7] * fy
        if c0 == 0 && c1y == 0 {
            // Affine: k is 1.
            for i in 0..<width {
                let fx = Float(i)
                xs[i] = a0 * fx + a1y + a2
                ys[i] = b0 * fx + b1y + b2
            }
        } else {
            for i in 0..<width {
                let fx = Float(i), k = c0 * fx + c1y + 1
                xs[i] = (a0 * fx + a1y + a2) / k
                ys[i] = (b0 * fx + b1y + b2) / k
            }
        }
    }
}
