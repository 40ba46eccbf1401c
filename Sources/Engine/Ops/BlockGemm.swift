// Single-threaded C = alpha·A·B, or C += alpha·A·B, for the small GEMMs inside one attention
// block with untransposed operands (T×hs outputs from T×T probabilities). At these sizes
// OpenBLAS spends more time packing its operands and zeroing C than multiplying; this kernel
// reads them in place.
// A: (M, K), row stride lda, elements broadcast; B: (K, N), row stride ldb, read eight lanes
// at a time; C: (M, N), row stride ldc. Register tiles of 6×16 (twelve 8-lane accumulators),
// then 6×8, then single columns; the rows left after the sixes in tiles of 4, 2 and 1 rows by
// 16 columns (a few rows are the common case of a short input), then one row at a time. Every element is a fused
// multiply-add chain over k in order, so its value does not depend on the tile it fell in.
// Built without fused multiply-add (ANNEAL_TARGET_CPU=x86-64), the products go to OpenBLAS.
import Tensor

public enum BlockGemm {
    typealias Vector = VectorMath.Vector

    public static func multiply(
        M: Int, N: Int, K: Int, alpha: Float,
        A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        accumulate: Bool, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        #if ANNEAL_FMA || arch(arm64)
        tiles(M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, accumulate: accumulate, C: C, ldc: ldc)
        #else
        BLAS.sgemm(
            transposeA: false, transposeB: false, M: M, N: N, K: K, alpha: alpha,
            A: A, lda: lda, B: B, ldb: ldb, beta: accumulate ? 1 : 0, C: C, ldc: ldc)
        #endif
    }

    /// The kernel itself, whatever the build (tests compare it with OpenBLAS).
    public static func tiles(
        M: Int, N: Int, K: Int, alpha: Float,
        A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        accumulate: Bool, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        var i = 0
        while i + 6 <= M {
            var j = 0
            while j + 16 <= N {
                tile6x16(K, alpha, A + i * lda, lda, B + j, ldb, accumulate, C + i * ldc + j, ldc)
                j += 16
            }
            while j + 8 <= N {
                for r in 0..<6 { row8(K, alpha, A + (i + r) * lda, B + j, ldb, accumulate, C + (i + r) * ldc + j) }
                j += 8
            }
            for r in 0..<6 where j < N { rowScalar(K, alpha, A + (i + r) * lda, B, ldb, accumulate, C + (i + r) * ldc, j..<N) }
            i += 6
        }
        // The last rows (fewer than 6) in 16-column tiles, each row with two accumulators.
        while i < M && N >= 16 {
            let rows = M - i >= 4 ? 4 : M - i >= 2 ? 2 : 1
            var j = 0
            while j + 16 <= N {
                switch rows {
                case 4: tile4x16(K, alpha, A + i * lda, lda, B + j, ldb, accumulate, C + i * ldc + j, ldc)
                case 2: tile2x16(K, alpha, A + i * lda, lda, B + j, ldb, accumulate, C + i * ldc + j, ldc)
                default: tile2x16(K, alpha, A + i * lda, 0, B + j, ldb, accumulate, C + i * ldc + j, 0, single: true)
                }
                j += 16
            }
            for r in 0..<rows {
                var k = j
                while k + 8 <= N {
                    row8(K, alpha, A + (i + r) * lda, B + k, ldb, accumulate, C + (i + r) * ldc + k)
                    k += 8
                }
                if k < N { rowScalar(K, alpha, A + (i + r) * lda, B, ldb, accumulate, C + (i + r) * ldc, k..<N) }
            }
            i += rows
        }
        while i < M {
            var j = 0
            while j + 8 <= N {
                row8(K, alpha, A + i * lda, B + j, ldb, accumulate, C + i * ldc + j)
                j += 8
            }
            if j < N { rowScalar(K, alpha, A + i * lda, B, ldb, accumulate, C + i * ldc, j..<N) }
            i += 1
        }
    }

    @inline(__always)
    static func store(_ value: Vector, _ alpha: Float, _ accumulate: Bool, _ c: UnsafeMutablePointer<Float>) {
        let scaled = value * alpha
        VectorMath.store(accumulate ? VectorMath.load(c) + scaled : scaled, c)
    }

    @inline(__always)
    static func tile6x16(
        _ K: Int, _ alpha: Float, _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ accumulate: Bool, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector(), c20 = Vector(), c21 = Vector()
        var c30 = Vector(), c31 = Vector(), c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
        var a = A, b = B
        for _ in 0..<K {
            let b0 = VectorMath.load(b), b1 = VectorMath.load(b + 8)
            var x = Vector(repeating: a[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Vector(repeating: a[lda])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Vector(repeating: a[2 * lda])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Vector(repeating: a[3 * lda])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = Vector(repeating: a[4 * lda])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = Vector(repeating: a[5 * lda])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            a += 1
            b += ldb
        }
        store(c00, alpha, accumulate, C); store(c01, alpha, accumulate, C + 8)
        store(c10, alpha, accumulate, C + ldc); store(c11, alpha, accumulate, C + ldc + 8)
        store(c20, alpha, accumulate, C + 2 * ldc); store(c21, alpha, accumulate, C + 2 * ldc + 8)
        store(c30, alpha, accumulate, C + 3 * ldc); store(c31, alpha, accumulate, C + 3 * ldc + 8)
        store(c40, alpha, accumulate, C + 4 * ldc); store(c41, alpha, accumulate, C + 4 * ldc + 8)
        store(c50, alpha, accumulate, C + 5 * ldc); store(c51, alpha, accumulate, C + 5 * ldc + 8)
    }

    @inline(__always)
    static func tile4x16(
        _ K: Int, _ alpha: Float, _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ accumulate: Bool, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
        var a = A, b = B
        for _ in 0..<K {
            let b0 = VectorMath.load(b), b1 = VectorMath.load(b + 8)
            var x = Vector(repeating: a[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Vector(repeating: a[lda])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Vector(repeating: a[2 * lda])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Vector(repeating: a[3 * lda])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            a += 1
            b += ldb
        }
        store(c00, alpha, accumulate, C); store(c01, alpha, accumulate, C + 8)
        store(c10, alpha, accumulate, C + ldc); store(c11, alpha, accumulate, C + ldc + 8)
        store(c20, alpha, accumulate, C + 2 * ldc); store(c21, alpha, accumulate, C + 2 * ldc + 8)
        store(c30, alpha, accumulate, C + 3 * ldc); store(c31, alpha, accumulate, C + 3 * ldc + 8)
    }

    /// Two rows by 16 columns, or one with `single` (the second row's loads then repeat the
    /// first's and its results are dropped).
    @inline(__always)
    static func tile2x16(
        _ K: Int, _ alpha: Float, _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ accumulate: Bool, _ C: UnsafeMutablePointer<Float>, _ ldc: Int, single: Bool = false
    ) {
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var a = A, b = B
        for _ in 0..<K {
            let b0 = VectorMath.load(b), b1 = VectorMath.load(b + 8)
            var x = Vector(repeating: a[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Vector(repeating: a[lda])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            a += 1
            b += ldb
        }
        store(c00, alpha, accumulate, C); store(c01, alpha, accumulate, C + 8)
        if !single { store(c10, alpha, accumulate, C + ldc); store(c11, alpha, accumulate, C + ldc + 8) }
    }

    /// Eight columns of one row of C.
    @inline(__always)
    static func row8(
        _ K: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ accumulate: Bool, _ c: UnsafeMutablePointer<Float>
    ) {
        var sum = Vector()
        for k in 0..<K { sum = sum.addingProduct(Vector(repeating: a[k]), VectorMath.load(B + k * ldb)) }
        store(sum, alpha, accumulate, c)
    }

    /// Columns `columns` of one row of C, one at a time.
    static func rowScalar(
        _ K: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ accumulate: Bool, _ c: UnsafeMutablePointer<Float>, _ columns: Range<Int>
    ) {
        for j in columns {
            var sum: Float = 0
            for k in 0..<K { sum = sum.addingProduct(a[k], B[k * ldb + j]) }
            c[j] = accumulate ? c[j] + sum * alpha : sum * alpha
        }
    }
}
