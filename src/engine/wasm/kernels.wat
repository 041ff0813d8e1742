;; Gradient Lens float32 kernels, WebAssembly SIMD (128-bit, f32x4).
;;
;; Assembled at build time by scripts/build-wasm.mjs (npm `wabt`, SIMD enabled) into
;; kernels.generated.ts. Every pointer is a byte offset into the ONE imported memory, every matrix is
;; row-major float32, every size is in elements. The JS side (backend.ts) validates sizes; these
;; kernels trust their arguments.
;;
;; gemm convention (as in src/engine/backend.ts): C = alpha·op(A)·op(B) + beta·C, and beta = 0 means
;; C is overwritten without being read (so NaN already in C cannot leak into the result).
;;
;; Why several gemm kernels: the three products backprop needs have different contiguous axes.
;;   A·B   and Aᵀ·B : B's rows are contiguous along n, so a 4×8 register tile of C accumulates
;;                   broadcast(A[i,p]) × B[p, j..j+8]; A is read through (row, column) strides, which
;;                   covers A and Aᵀ without materialising a transpose.
;;   A·Bᵀ          : A's and B's rows are both contiguous along k, so C[i,j] is a dot product;
;;                   a 4×2 tile of vector accumulators runs along k and is reduced at the end.
;;   Aᵀ·Bᵀ         : rare; a strided scalar kernel (correct, slower).
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------
  ;; Shared helpers

  ;; Store alpha·acc (+ beta·old) to 4 floats at ptr.
  (func $store4 (param $ptr i32) (param $acc v128) (param $alpha f32) (param $beta f32)
    (if (f32.eq (local.get $beta) (f32.const 0))
      (then
        (v128.store (local.get $ptr) (f32x4.mul (local.get $acc) (f32x4.splat (local.get $alpha)))))
      (else
        (v128.store (local.get $ptr)
          (f32x4.add
            (f32x4.mul (local.get $acc) (f32x4.splat (local.get $alpha)))
            (f32x4.mul (v128.load (local.get $ptr)) (f32x4.splat (local.get $beta))))))))

  ;; Store alpha·s (+ beta·old) to one float at ptr.
  (func $store1 (param $ptr i32) (param $s f32) (param $alpha f32) (param $beta f32)
    (if (f32.eq (local.get $beta) (f32.const 0))
      (then (f32.store (local.get $ptr) (f32.mul (local.get $s) (local.get $alpha))))
      (else
        (f32.store (local.get $ptr)
          (f32.add
            (f32.mul (local.get $s) (local.get $alpha))
            (f32.mul (f32.load (local.get $ptr)) (local.get $beta)))))))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Σ x[p]·y[p] over n contiguous floats.
  (func $dot (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $s f32)
    ;; two accumulators hide the add latency
    (block $done8
      (loop $by8
        (br_if $done8 (i32.lt_u (local.get $n) (i32.const 8)))
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (local.set $n (i32.sub (local.get $n) (i32.const 8)))
        (br $by8)))
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))))
    (local.set $s (call $hsum (f32x4.add (local.get $acc0) (local.get $acc1))))
    (block $done
      (loop $tail
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail)))
    (local.get $s))

  ;; Σ x[p]² over n contiguous floats.
  (func $sumsq (param $x i32) (param $n i32) (result f32)
    (call $dot (local.get $x) (local.get $x) (local.get $n)))

  ;; ---------------------------------------------------------------------------------------------
  ;; gemm with B (k×n) contiguous: C (m×n) = alpha·Â·B + beta·C where Â(i,p) = A[i·rsA + p·csA].
  ;; Tiles of C: 4×8, then 1×8 for leftover rows; 4×4 / 1×4 for leftover columns; scalar for the
  ;; last < 4 columns. Column tiles are the outer loop so the k×8 strip of B stays in L1 while all
  ;; row blocks of A stream past it.

  (func $tile4x8 (param $k i32) (param $a0 i32) (param $rsA4 i32) (param $csA4 i32)
                 (param $b i32) (param $ldb4 i32) (param $c i32) (param $ldc4 i32)
                 (param $alpha f32) (param $beta f32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $al v128) (local $be v128) (local $c0p i32) (local $c1p i32) (local $c2p i32) (local $c3p i32)
    (local.set $a1 (i32.add (local.get $a0) (local.get $rsA4)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $rsA4)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $rsA4)))
    (if (i32.gt_s (local.get $k) (i32.const 0))
      (then
        (loop $p
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load32_splat (local.get $a0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat (local.get $a3)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $a0 (i32.add (local.get $a0) (local.get $csA4)))
          (local.set $a1 (i32.add (local.get $a1) (local.get $csA4)))
          (local.set $a2 (i32.add (local.get $a2) (local.get $csA4)))
          (local.set $a3 (i32.add (local.get $a3) (local.get $csA4)))
          (local.set $b (i32.add (local.get $b) (local.get $ldb4)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $p (local.get $k)))))
    ;; stores inlined (V8 does not inline wasm calls): with k small (conv), calls would dominate
    (local.set $al (f32x4.splat (local.get $alpha)))
    (local.set $c1p (i32.add (local.get $c) (local.get $ldc4)))
    (local.set $c2p (i32.add (local.get $c1p) (local.get $ldc4)))
    (local.set $c3p (i32.add (local.get $c2p) (local.get $ldc4)))
    (local.set $c0p (local.get $c))
    (if (f32.eq (local.get $beta) (f32.const 0))
      (then
        (v128.store (local.get $c0p) (f32x4.mul (local.get $c00) (local.get $al)))
        (v128.store (i32.add (local.get $c0p) (i32.const 16)) (f32x4.mul (local.get $c01) (local.get $al)))
        (v128.store (local.get $c1p) (f32x4.mul (local.get $c10) (local.get $al)))
        (v128.store (i32.add (local.get $c1p) (i32.const 16)) (f32x4.mul (local.get $c11) (local.get $al)))
        (v128.store (local.get $c2p) (f32x4.mul (local.get $c20) (local.get $al)))
        (v128.store (i32.add (local.get $c2p) (i32.const 16)) (f32x4.mul (local.get $c21) (local.get $al)))
        (v128.store (local.get $c3p) (f32x4.mul (local.get $c30) (local.get $al)))
        (v128.store (i32.add (local.get $c3p) (i32.const 16)) (f32x4.mul (local.get $c31) (local.get $al)))
      )
      (else
        (local.set $be (f32x4.splat (local.get $beta)))
        (v128.store (local.get $c0p) (f32x4.add (f32x4.mul (local.get $c00) (local.get $al)) (f32x4.mul (v128.load (local.get $c0p)) (local.get $be))))
        (v128.store (i32.add (local.get $c0p) (i32.const 16)) (f32x4.add (f32x4.mul (local.get $c01) (local.get $al)) (f32x4.mul (v128.load (i32.add (local.get $c0p) (i32.const 16))) (local.get $be))))
        (v128.store (local.get $c1p) (f32x4.add (f32x4.mul (local.get $c10) (local.get $al)) (f32x4.mul (v128.load (local.get $c1p)) (local.get $be))))
        (v128.store (i32.add (local.get $c1p) (i32.const 16)) (f32x4.add (f32x4.mul (local.get $c11) (local.get $al)) (f32x4.mul (v128.load (i32.add (local.get $c1p) (i32.const 16))) (local.get $be))))
        (v128.store (local.get $c2p) (f32x4.add (f32x4.mul (local.get $c20) (local.get $al)) (f32x4.mul (v128.load (local.get $c2p)) (local.get $be))))
        (v128.store (i32.add (local.get $c2p) (i32.const 16)) (f32x4.add (f32x4.mul (local.get $c21) (local.get $al)) (f32x4.mul (v128.load (i32.add (local.get $c2p) (i32.const 16))) (local.get $be))))
        (v128.store (local.get $c3p) (f32x4.add (f32x4.mul (local.get $c30) (local.get $al)) (f32x4.mul (v128.load (local.get $c3p)) (local.get $be))))
        (v128.store (i32.add (local.get $c3p) (i32.const 16)) (f32x4.add (f32x4.mul (local.get $c31) (local.get $al)) (f32x4.mul (v128.load (i32.add (local.get $c3p) (i32.const 16))) (local.get $be))))
      )))

  (func $tile1x8 (param $k i32) (param $a0 i32) (param $csA4 i32)
                 (param $b i32) (param $ldb4 i32) (param $c i32)
                 (param $alpha f32) (param $beta f32)
    (local $c00 v128) (local $c01 v128) (local $av v128)
    (if (i32.gt_s (local.get $k) (i32.const 0))
      (then
        (loop $p
          (local.set $av (v128.load32_splat (local.get $a0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (v128.load (local.get $b)))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $b)))))
          (local.set $a0 (i32.add (local.get $a0) (local.get $csA4)))
          (local.set $b (i32.add (local.get $b) (local.get $ldb4)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $p (local.get $k)))))
    (call $store4 (local.get $c) (local.get $c00) (local.get $alpha) (local.get $beta))
    (call $store4 (i32.add (local.get $c) (i32.const 16)) (local.get $c01) (local.get $alpha) (local.get $beta)))

  (func $tile4x4 (param $k i32) (param $a0 i32) (param $rsA4 i32) (param $csA4 i32)
                 (param $b i32) (param $ldb4 i32) (param $c i32) (param $ldc4 i32)
                 (param $alpha f32) (param $beta f32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $b0 v128)
    (local.set $a1 (i32.add (local.get $a0) (local.get $rsA4)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $rsA4)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $rsA4)))
    (if (i32.gt_s (local.get $k) (i32.const 0))
      (then
        (loop $p
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load32_splat (local.get $a0)) (local.get $b0))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (v128.load32_splat (local.get $a1)) (local.get $b0))))
          (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (v128.load32_splat (local.get $a2)) (local.get $b0))))
          (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (v128.load32_splat (local.get $a3)) (local.get $b0))))
          (local.set $a0 (i32.add (local.get $a0) (local.get $csA4)))
          (local.set $a1 (i32.add (local.get $a1) (local.get $csA4)))
          (local.set $a2 (i32.add (local.get $a2) (local.get $csA4)))
          (local.set $a3 (i32.add (local.get $a3) (local.get $csA4)))
          (local.set $b (i32.add (local.get $b) (local.get $ldb4)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $p (local.get $k)))))
    (call $store4 (local.get $c) (local.get $c0) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store4 (local.get $c) (local.get $c1) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store4 (local.get $c) (local.get $c2) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store4 (local.get $c) (local.get $c3) (local.get $alpha) (local.get $beta)))

  (func $tile1x4 (param $k i32) (param $a0 i32) (param $csA4 i32)
                 (param $b i32) (param $ldb4 i32) (param $c i32)
                 (param $alpha f32) (param $beta f32)
    (local $c0 v128)
    (if (i32.gt_s (local.get $k) (i32.const 0))
      (then
        (loop $p
          (local.set $c0 (f32x4.add (local.get $c0)
            (f32x4.mul (v128.load32_splat (local.get $a0)) (v128.load (local.get $b)))))
          (local.set $a0 (i32.add (local.get $a0) (local.get $csA4)))
          (local.set $b (i32.add (local.get $b) (local.get $ldb4)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $p (local.get $k)))))
    (call $store4 (local.get $c) (local.get $c0) (local.get $alpha) (local.get $beta)))

  ;; Fully strided scalar gemm: C(i,j) at c + (i·ldc + j)·4, Â(i,p) = A[i·rsA + p·csA],
  ;; B̂(p,j) = B[p·rsB + j·csB]. Used for column tails and for Aᵀ·Bᵀ.
  (func $gemm_scalar (export "gemm_scalar")
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)
    (param $a i32) (param $rsA i32) (param $csA i32)
    (param $b i32) (param $rsB i32) (param $csB i32)
    (param $beta f32) (param $c i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $s f32) (local $ap i32) (local $bp i32)
    (local.set $rsA (i32.shl (local.get $rsA) (i32.const 2)))
    (local.set $csA (i32.shl (local.get $csA) (i32.const 2)))
    (local.set $rsB (i32.shl (local.get $rsB) (i32.const 2)))
    (local.set $csB (i32.shl (local.get $csB) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (block $doneI
      (loop $rowI
        (br_if $doneI (i32.ge_s (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $doneJ
          (loop $colJ
            (br_if $doneJ (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $s (f32.const 0))
            (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rsA))))
            (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $csB))))
            (local.set $p (local.get $k))
            (block $doneP
              (loop $dotP
                (br_if $doneP (i32.le_s (local.get $p) (i32.const 0)))
                (local.set $s (f32.add (local.get $s)
                  (f32.mul (f32.load (local.get $ap)) (f32.load (local.get $bp)))))
                (local.set $ap (i32.add (local.get $ap) (local.get $csA)))
                (local.set $bp (i32.add (local.get $bp) (local.get $rsB)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $dotP)))
            (call $store1
              (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2))))
              (local.get $s) (local.get $alpha) (local.get $beta))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $colJ)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowI))))

  ;; C (m×n) = alpha·Â·B + beta·C with B k×n contiguous and Â(i,p) = A[i·rsA + p·csA].
  ;; A·B: rsA = k, csA = 1.   Aᵀ·B (A stored k×m): rsA = 1, csA = m.
  (func (export "gemm_bn")
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)
    (param $a i32) (param $rsA i32) (param $csA i32)
    (param $b i32) (param $beta f32) (param $c i32)
    (call $gemm_bn_strip (local.get $m) (local.get $n) (local.get $k) (local.get $alpha)
      (local.get $a) (local.get $rsA) (local.get $csA) (local.get $b) (local.get $n) (local.get $beta) (local.get $c)))

  ;; gemm_bn on a column strip n wide of matrices whose rows are ld floats long (B and C).
  (func $gemm_bn_strip
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)
    (param $a i32) (param $rsA i32) (param $csA i32)
    (param $b i32) (param $ld i32) (param $beta f32) (param $c i32)
    (local $rsA4 i32) (local $csA4 i32) (local $n4 i32) (local $i i32) (local $j i32)
    (local.set $rsA4 (i32.shl (local.get $rsA) (i32.const 2)))
    (local.set $csA4 (i32.shl (local.get $csA) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $ld) (i32.const 2)))
    ;; 8-wide column strips
    (block $done8
      (loop $cols8
        (br_if $done8 (i32.gt_s (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
        (local.set $i (i32.const 0))
        (block $doneRows4
          (loop $rows4
            (br_if $doneRows4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
            (call $tile4x8 (local.get $k)
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rsA4))) (local.get $rsA4) (local.get $csA4)
              (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n4)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2)))
              (local.get $n4) (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows4)))
        (block $doneRows1
          (loop $rows1
            (br_if $doneRows1 (i32.ge_s (local.get $i) (local.get $m)))
            (call $tile1x8 (local.get $k)
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rsA4))) (local.get $csA4)
              (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n4)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2)))
              (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows1)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $cols8)))
    ;; one 4-wide column strip
    (if (i32.le_s (i32.add (local.get $j) (i32.const 4)) (local.get $n))
      (then
        (local.set $i (i32.const 0))
        (block $doneRows4
          (loop $rows4
            (br_if $doneRows4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
            (call $tile4x4 (local.get $k)
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rsA4))) (local.get $rsA4) (local.get $csA4)
              (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n4)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2)))
              (local.get $n4) (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows4)))
        (block $doneRows1
          (loop $rows1
            (br_if $doneRows1 (i32.ge_s (local.get $i) (local.get $m)))
            (call $tile1x4 (local.get $k)
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rsA4))) (local.get $csA4)
              (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n4)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2)))
              (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows1)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))))
    ;; the last < 4 columns
    (if (i32.lt_s (local.get $j) (local.get $n))
      (then
        (call $gemm_scalar (local.get $m) (i32.sub (local.get $n) (local.get $j)) (local.get $k) (local.get $alpha)
          (local.get $a) (local.get $rsA) (local.get $csA)
          (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $ld) (i32.const 1)
          (local.get $beta) (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $ld)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; A·Bᵀ: A m×k and B n×k both row-major, C(i,j) = alpha·dot(A row i, B row j) + beta·C(i,j).

  (func $tileNT4x2 (param $k i32) (param $a0 i32) (param $b0 i32) (param $c i32) (param $ldc4 i32)
                   (param $alpha f32) (param $beta f32)
    (local $k4 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b1 i32) (local $off i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $y0 v128) (local $y1 v128) (local $x v128)
    (local $t00 f32) (local $t01 f32) (local $t10 f32) (local $t11 f32)
    (local $t20 f32) (local $t21 f32) (local $t30 f32) (local $t31 f32)
    (local $v0 f32) (local $v1 f32) (local $u f32)
    (local.set $k4 (i32.shl (i32.shr_u (local.get $k) (i32.const 2)) (i32.const 4))) ;; bytes in whole quads
    (local.set $a1 (i32.add (local.get $a0) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $a2 (i32.add (local.get $a1) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $a3 (i32.add (local.get $a2) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $b1 (i32.add (local.get $b0) (i32.shl (local.get $k) (i32.const 2))))
    (block $doneQ
      (loop $quads
        (br_if $doneQ (i32.ge_u (local.get $off) (local.get $k4)))
        (local.set $y0 (v128.load (i32.add (local.get $b0) (local.get $off))))
        (local.set $y1 (v128.load (i32.add (local.get $b1) (local.get $off))))
        (local.set $x (v128.load (i32.add (local.get $a0) (local.get $off))))
        (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $y0))))
        (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $y1))))
        (local.set $x (v128.load (i32.add (local.get $a1) (local.get $off))))
        (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $y0))))
        (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $y1))))
        (local.set $x (v128.load (i32.add (local.get $a2) (local.get $off))))
        (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $x) (local.get $y0))))
        (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $x) (local.get $y1))))
        (local.set $x (v128.load (i32.add (local.get $a3) (local.get $off))))
        (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $x) (local.get $y0))))
        (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $x) (local.get $y1))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $quads)))
    (local.set $t00 (call $hsum (local.get $s00)))
    (local.set $t01 (call $hsum (local.get $s01)))
    (local.set $t10 (call $hsum (local.get $s10)))
    (local.set $t11 (call $hsum (local.get $s11)))
    (local.set $t20 (call $hsum (local.get $s20)))
    (local.set $t21 (call $hsum (local.get $s21)))
    (local.set $t30 (call $hsum (local.get $s30)))
    (local.set $t31 (call $hsum (local.get $s31)))
    ;; the last k mod 4 terms
    (local.set $k (i32.shl (local.get $k) (i32.const 2)))
    (block $doneT
      (loop $tail
        (br_if $doneT (i32.ge_u (local.get $off) (local.get $k)))
        (local.set $v0 (f32.load (i32.add (local.get $b0) (local.get $off))))
        (local.set $v1 (f32.load (i32.add (local.get $b1) (local.get $off))))
        (local.set $u (f32.load (i32.add (local.get $a0) (local.get $off))))
        (local.set $t00 (f32.add (local.get $t00) (f32.mul (local.get $u) (local.get $v0))))
        (local.set $t01 (f32.add (local.get $t01) (f32.mul (local.get $u) (local.get $v1))))
        (local.set $u (f32.load (i32.add (local.get $a1) (local.get $off))))
        (local.set $t10 (f32.add (local.get $t10) (f32.mul (local.get $u) (local.get $v0))))
        (local.set $t11 (f32.add (local.get $t11) (f32.mul (local.get $u) (local.get $v1))))
        (local.set $u (f32.load (i32.add (local.get $a2) (local.get $off))))
        (local.set $t20 (f32.add (local.get $t20) (f32.mul (local.get $u) (local.get $v0))))
        (local.set $t21 (f32.add (local.get $t21) (f32.mul (local.get $u) (local.get $v1))))
        (local.set $u (f32.load (i32.add (local.get $a3) (local.get $off))))
        (local.set $t30 (f32.add (local.get $t30) (f32.mul (local.get $u) (local.get $v0))))
        (local.set $t31 (f32.add (local.get $t31) (f32.mul (local.get $u) (local.get $v1))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail)))
    (call $store1 (local.get $c) (local.get $t00) (local.get $alpha) (local.get $beta))
    (call $store1 (i32.add (local.get $c) (i32.const 4)) (local.get $t01) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store1 (local.get $c) (local.get $t10) (local.get $alpha) (local.get $beta))
    (call $store1 (i32.add (local.get $c) (i32.const 4)) (local.get $t11) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store1 (local.get $c) (local.get $t20) (local.get $alpha) (local.get $beta))
    (call $store1 (i32.add (local.get $c) (i32.const 4)) (local.get $t21) (local.get $alpha) (local.get $beta))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    (call $store1 (local.get $c) (local.get $t30) (local.get $alpha) (local.get $beta))
    (call $store1 (i32.add (local.get $c) (i32.const 4)) (local.get $t31) (local.get $alpha) (local.get $beta)))

  (func (export "gemm_nt")
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)
    (param $a i32) (param $b i32) (param $beta f32) (param $c i32)
    (local $i i32) (local $j i32) (local $k4 i32) (local $n4 i32)
    (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $doneJ
      (loop $pairs
        (br_if $doneJ (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
        (local.set $i (i32.const 0))
        (block $doneI
          (loop $quads
            (br_if $doneI (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
            (call $tileNT4x2 (local.get $k)
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $k4)))
              (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k4)))
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (local.get $n4) (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $quads)))
        ;; leftover rows of this column pair
        (block $doneR
          (loop $rest
            (br_if $doneR (i32.ge_s (local.get $i) (local.get $m)))
            (call $store1
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (call $dot (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $k4)))
                         (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k4))) (local.get $k))
              (local.get $alpha) (local.get $beta))
            (call $store1
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (i32.add (local.get $j) (i32.const 1))) (i32.const 2)))
              (call $dot (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $k4)))
                         (i32.add (local.get $b) (i32.mul (i32.add (local.get $j) (i32.const 1)) (local.get $k4))) (local.get $k))
              (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rest)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $pairs)))
    ;; a last odd column
    (if (i32.lt_s (local.get $j) (local.get $n))
      (then
        (local.set $i (i32.const 0))
        (block $doneR
          (loop $rest
            (br_if $doneR (i32.ge_s (local.get $i) (local.get $m)))
            (call $store1
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (call $dot (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $k4)))
                         (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k4))) (local.get $k))
              (local.get $alpha) (local.get $beta))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rest))))))

  ;; dst (cols×rows) = transpose of src (rows×cols), 4×4 blocks through registers, scalar edges.
  ;; Used to turn A·Bᵀ into A·B when the output is large enough for the 4×8 tile to pay off.
  (func (export "transpose") (param $rows i32) (param $cols i32) (param $src i32) (param $dst i32)
    (local $i i32) (local $j i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $s i32) (local $d i32) (local $rows4 i32) (local $cols4 i32)
    (local.set $rows4 (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $cols4 (i32.shl (local.get $cols) (i32.const 2)))
    (block $doneI (loop $blockRows
      (br_if $doneI (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $doneJ (loop $blockCols
        (br_if $doneJ (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
        (local.set $r0 (v128.load (local.get $s)))
        (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $cols4))))
        (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cols4) (i32.const 1)))))
        (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cols4) (i32.const 3)))))
        ;; 4×4 transpose: interleave pairs, then 64-bit halves
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
        (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (local.get $rows4))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $rows4) (i32.const 1)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $d) (i32.mul (local.get $rows4) (i32.const 3)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $blockCols)))
      ;; leftover columns of these 4 rows
      (block $doneJ1 (loop $cols1
        (br_if $doneJ1 (i32.ge_s (local.get $j) (local.get $cols)))
        (call $copyColumn (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $i) (local.get $j) (i32.const 4))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols1)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $blockRows)))
    ;; leftover rows
    (if (i32.lt_s (local.get $i) (local.get $rows))
      (then
        (local.set $j (i32.const 0))
        (block $doneJ2 (loop $cols2
          (br_if $doneJ2 (i32.ge_s (local.get $j) (local.get $cols)))
          (call $copyColumn (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $i) (local.get $j)
            (i32.sub (local.get $rows) (local.get $i)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $cols2))))))

  ;; dst[j, i..i+count) = src[i..i+count, j] (one transposed column segment).
  (func $copyColumn (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
                    (param $i i32) (param $j i32) (param $count i32)
    (local $s i32) (local $d i32)
    (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
    (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
    (block $done (loop $each
      (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
      (f32.store (local.get $d) (f32.load (local.get $s)))
      (local.set $s (i32.add (local.get $s) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br $each))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Element-wise and reduction kernels.
  ;; Activation codes: 0 linear, 1 relu, 2 leaky-relu (slope given). tanh/sigmoid stay in JS:
  ;; WASM has no vector exp and a polynomial would not match the reference to float tolerance.

  (func $act1 (param $v f32) (param $kind i32) (param $slope f32) (result f32)
    (if (result f32) (i32.eq (local.get $kind) (i32.const 1))
      (then (f32.max (local.get $v) (f32.const 0)))
      (else
        (if (result f32) (i32.eq (local.get $kind) (i32.const 2))
          (then (select (local.get $v) (f32.mul (local.get $v) (local.get $slope))
                  (f32.gt (local.get $v) (f32.const 0))))
          (else (local.get $v))))))

  ;; out[i,j] = act(x[i,j] + bias[j]) for an m×n matrix; bias = 0 (null pointer) means no bias.
  ;; x and out may be the same buffer.
  (func (export "bias_act")
    (param $m i32) (param $n i32) (param $x i32) (param $bias i32) (param $out i32)
    (param $kind i32) (param $slope f32)
    (local $j i32) (local $bp i32) (local $v v128) (local $slopes v128)
    (local.set $slopes (f32x4.splat (local.get $slope)))
    (block $doneI
      (loop $rows
        (br_if $doneI (i32.le_s (local.get $m) (i32.const 0)))
        (local.set $j (i32.const 0))
        (local.set $bp (local.get $bias))
        (block $done4
          (loop $by4
            (br_if $done4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
            (local.set $v (if (result v128) (local.get $bias)
              (then (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bp))))
              (else (v128.load (local.get $x)))))
            ;; the activation inline (a call per 4 floats would dominate); kind is loop-invariant
            (if (i32.eq (local.get $kind) (i32.const 1))
              (then (local.set $v (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))))
            (if (i32.eq (local.get $kind) (i32.const 2))
              (then (local.set $v (v128.bitselect (local.get $v) (f32x4.mul (local.get $v) (local.get $slopes))
                (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))))
            (v128.store (local.get $out) (local.get $v))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $by4)))
        (block $done1
          (loop $by1
            (br_if $done1 (i32.ge_s (local.get $j) (local.get $n)))
            (f32.store (local.get $out)
              (call $act1
                (if (result f32) (local.get $bias)
                  (then (f32.add (f32.load (local.get $x)) (f32.load (local.get $bp))))
                  (else (f32.load (local.get $x))))
                (local.get $kind) (local.get $slope)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $by1)))
        (local.set $m (i32.sub (local.get $m) (i32.const 1)))
        (br $rows))))

  ;; gradIn[t] = gradOut[t]·act'(·) for `size` elements, where the derivative is read from the
  ;; activation's OUTPUT y: relu' = [y > 0], leaky' = y > 0 ? 1 : slope (y > 0 exactly when the
  ;; pre-activation is > 0, so this equals the derivative at the pre-activation, with 0 ↦ 0 / slope).
  ;; gradIn may alias gradOut.
  (func (export "act_backward")
    (param $size i32) (param $y i32) (param $gradOut i32) (param $gradIn i32)
    (param $kind i32) (param $slope f32)
    (local $g v128) (local $pos v128) (local $gs f32)
    (block $done4
      (loop $by4
        (br_if $done4 (i32.lt_s (local.get $size) (i32.const 4)))
        (local.set $g (v128.load (local.get $gradOut)))
        (local.set $pos (f32x4.gt (v128.load (local.get $y)) (f32x4.splat (f32.const 0))))
        (v128.store (local.get $gradIn)
          (if (result v128) (i32.eq (local.get $kind) (i32.const 2))
            (then (v128.bitselect (local.get $g) (f32x4.mul (local.get $g) (f32x4.splat (local.get $slope))) (local.get $pos)))
            (else (if (result v128) (i32.eq (local.get $kind) (i32.const 1))
              (then (v128.and (local.get $g) (local.get $pos)))
              (else (local.get $g))))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 16)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 16)))
        (local.set $size (i32.sub (local.get $size) (i32.const 4)))
        (br $by4)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.le_s (local.get $size) (i32.const 0)))
        (local.set $gs (f32.load (local.get $gradOut)))
        (f32.store (local.get $gradIn)
          (if (result f32) (f32.gt (f32.load (local.get $y)) (f32.const 0))
            (then (local.get $gs))
            (else
              (if (result f32) (i32.eq (local.get $kind) (i32.const 2))
                (then (f32.mul (local.get $gs) (local.get $slope)))
                (else (if (result f32) (i32.eq (local.get $kind) (i32.const 1))
                  (then (f32.const 0))
                  (else (local.get $gs))))))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 4)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 4)))
        (local.set $size (i32.sub (local.get $size) (i32.const 1)))
        (br $by1))))

  ;; out[j] = alpha·Σᵢ x[i,j] + beta·out[j] (beta = 0 overwrites): the bias gradient of a batch.
  (func (export "col_sums")
    (param $m i32) (param $n i32) (param $alpha f32) (param $x i32) (param $beta f32) (param $out i32)
    (local $j i32) (local $i i32) (local $p i32) (local $n4 i32) (local $acc v128) (local $s f32)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $done4
      (loop $by4
        (br_if $done4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $m))
        (block $doneI (loop $rows
          (br_if $doneI (i32.le_s (local.get $i) (i32.const 0)))
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $n4)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $rows)))
        (call $store4 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $acc) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $by4)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $s (f32.const 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $m))
        (block $doneI (loop $rows
          (br_if $doneI (i32.le_s (local.get $i) (i32.const 0)))
          (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $n4)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $rows)))
        (call $store1 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $s) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $by1))))

  ;; out[i] = Σⱼ x[i,j]² for an m×n matrix.
  (func (export "row_sumsq") (param $m i32) (param $n i32) (param $x i32) (param $out i32)
    (local $n4 i32)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (f32.store (local.get $out) (call $sumsq (local.get $x) (local.get $n)))
      (local.set $x (i32.add (local.get $x) (local.get $n4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; Squared per-example gradient norms of a dense layer, without materialising gᵢ = aᵢ ⊗ δᵢ:
  ;; out[i] = ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² when withBias ≠ 0). a is m×p, delta is m×q.
  (func (export "dense_norms_sq")
    (param $m i32) (param $p i32) (param $q i32) (param $a i32) (param $delta i32) (param $out i32)
    (param $withBias i32)
    (local $aa f32) (local $dd f32)
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $aa (call $sumsq (local.get $a) (local.get $p)))
      (local.set $dd (call $sumsq (local.get $delta) (local.get $q)))
      (f32.store (local.get $out)
        (f32.add (f32.mul (local.get $aa) (local.get $dd))
          (select (local.get $dd) (f32.const 0) (local.get $withBias))))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $delta (i32.add (local.get $delta) (i32.shl (local.get $q) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; Per-example outer products: out[i, r, s] = alpha·a[i,r]·delta[i,s], out is m×p×q.
  ;; This is every example's dense weight gradient gᵢ = aᵢ ⊗ δᵢ, laid out [example][in][out] like W.
  (func (export "outer_batch")
    (param $m i32) (param $p i32) (param $q i32) (param $alpha f32) (param $a i32) (param $delta i32) (param $out i32)
    (local $r i32) (local $s i32) (local $av v128) (local $d i32) (local $af f32)
    (block $doneI (loop $examples
      (br_if $doneI (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $r (local.get $p))
      (block $doneR (loop $rows
        (br_if $doneR (i32.le_s (local.get $r) (i32.const 0)))
        (local.set $af (f32.mul (f32.load (local.get $a)) (local.get $alpha)))
        (local.set $av (f32x4.splat (local.get $af)))
        (local.set $d (local.get $delta))
        (local.set $s (local.get $q))
        (block $done4 (loop $by4
          (br_if $done4 (i32.lt_s (local.get $s) (i32.const 4)))
          (v128.store (local.get $out) (f32x4.mul (local.get $av) (v128.load (local.get $d))))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (local.set $s (i32.sub (local.get $s) (i32.const 4)))
          (br $by4)))
        (block $done1 (loop $by1
          (br_if $done1 (i32.le_s (local.get $s) (i32.const 0)))
          (f32.store (local.get $out) (f32.mul (local.get $af) (f32.load (local.get $d))))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (local.set $s (i32.sub (local.get $s) (i32.const 1)))
          (br $by1)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $rows)))
      (local.set $delta (i32.add (local.get $delta) (i32.shl (local.get $q) (i32.const 2))))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $examples))))

;; 1 when all n floats are finite, else 0. x·0 is ±0 for finite x and NaN for ±Inf/NaN, so the sum
  ;; of x·0 is 0 exactly when everything is finite (a sum of squares could overflow on large finite x).
  (func (export "all_finite") (param $n i32) (param $x i32) (result i32)
    (local $acc v128) (local $s f32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (f32x4.splat (f32.const 0)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $x)) (f32.const 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1)))
    (f32.eq (local.get $s) (f32.const 0)))

  ;; One SGD step over n parameters (PyTorch convention, as src/engine/optimizers.ts):
  ;;   g = grad + wd·θ; if momentum: v ← μv + g, g = nesterov ? g + μv : v; θ ← θ − lr·g;
  ;;   update = θ_after − θ_before. vel is ignored (may be 0) when mu = 0.
  (func (export "sgd_step")
    (param $n i32) (param $lr f32) (param $wd f32) (param $mu f32) (param $nesterov i32)
    (param $value i32) (param $grad i32) (param $vel i32) (param $update i32)
    (local $before v128) (local $g v128) (local $v v128) (local $after v128)
    (local $b f32) (local $gs f32) (local $vs f32) (local $a f32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (local.set $before (v128.load (local.get $value)))
      (local.set $g (f32x4.add (v128.load (local.get $grad)) (f32x4.mul (f32x4.splat (local.get $wd)) (local.get $before))))
      (if (f32.ne (local.get $mu) (f32.const 0))
        (then
          (local.set $v (f32x4.add (f32x4.mul (f32x4.splat (local.get $mu)) (v128.load (local.get $vel))) (local.get $g)))
          (v128.store (local.get $vel) (local.get $v))
          (local.set $g (if (result v128) (local.get $nesterov)
            (then (f32x4.add (local.get $g) (f32x4.mul (f32x4.splat (local.get $mu)) (local.get $v))))
            (else (local.get $v))))
          (local.set $vel (i32.add (local.get $vel) (i32.const 16)))))
      (local.set $after (f32x4.sub (local.get $before) (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $g))))
      (v128.store (local.get $value) (local.get $after))
      (v128.store (local.get $update) (f32x4.sub (local.get $after) (local.get $before)))
      (local.set $value (i32.add (local.get $value) (i32.const 16)))
      (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
      (local.set $update (i32.add (local.get $update) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $b (f32.load (local.get $value)))
      (local.set $gs (f32.add (f32.load (local.get $grad)) (f32.mul (local.get $wd) (local.get $b))))
      (if (f32.ne (local.get $mu) (f32.const 0))
        (then
          (local.set $vs (f32.add (f32.mul (local.get $mu) (f32.load (local.get $vel))) (local.get $gs)))
          (f32.store (local.get $vel) (local.get $vs))
          (local.set $gs (select (f32.add (local.get $gs) (f32.mul (local.get $mu) (local.get $vs))) (local.get $vs) (local.get $nesterov)))
          (local.set $vel (i32.add (local.get $vel) (i32.const 4)))))
      (local.set $a (f32.sub (local.get $b) (f32.mul (local.get $lr) (local.get $gs))))
      (f32.store (local.get $value) (local.get $a))
      (f32.store (local.get $update) (f32.sub (local.get $a) (local.get $b)))
      (local.set $value (i32.add (local.get $value) (i32.const 4)))
      (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
      (local.set $update (i32.add (local.get $update) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1))))

  ;; out[i] = alpha·Σⱼ x[i,j] for an m×n matrix (e.g. a conv bias gradient per example and filter).
  (func (export "row_sums") (param $m i32) (param $n i32) (param $alpha f32) (param $x i32) (param $out i32)
    (local $acc v128) (local $s f32) (local $j i32)
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $acc (f32x4.splat (f32.const 0)))
      (local.set $j (local.get $n))
      (block $done4 (loop $by4
        (br_if $done4 (i32.lt_s (local.get $j) (i32.const 4)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $j (i32.sub (local.get $j) (i32.const 4)))
        (br $by4)))
      (local.set $s (call $hsum (local.get $acc)))
      (block $done1 (loop $by1
        (br_if $done1 (i32.le_s (local.get $j) (i32.const 0)))
        (local.set $s (f32.add (local.get $s) (f32.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $by1)))
      (f32.store (local.get $out) (f32.mul (local.get $alpha) (local.get $s)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; ---------------------------------------------------------------------------------------------
  ;; im2col / col2im for channels-first images, one example after another.
  ;; Per example: image [c][h][w]; cols [(ci·k + kh)·k + kw][oh·outW + ow] (rows = c·k·k,
  ;; columns = outH·outW), so that conv output [filters][outH·outW] = W[filters][c·k·k] · cols.
  ;; Pixels outside the image (padding) read as 0.

  ;; n floats = 0. A plain loop: memory.fill is a runtime call in V8, costly for short runs.
  (func $zero (param $dst i32) (param $n i32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1))))

  ;; The output columns ow in [lo, hi) whose input column ix0 + ow·stride lies inside [0, w).
  (func $validRange (param $ix0 i32) (param $stride i32) (param $w i32) (param $outW i32) (result i32 i32)
    (local $lo i32) (local $hi i32)
    ;; lo = ix0 >= 0 ? 0 : ceil(-ix0 / stride)
    (local.set $lo (select (i32.const 0)
      (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $ix0)) (i32.sub (local.get $stride) (i32.const 1))) (local.get $stride))
      (i32.ge_s (local.get $ix0) (i32.const 0))))
    ;; hi = w - 1 - ix0 < 0 ? 0 : floor((w - 1 - ix0) / stride) + 1, at most outW
    (local.set $hi (select
      (i32.add (i32.div_s (i32.sub (i32.sub (local.get $w) (i32.const 1)) (local.get $ix0)) (local.get $stride)) (i32.const 1))
      (i32.const 0)
      (i32.ge_s (i32.sub (i32.sub (local.get $w) (i32.const 1)) (local.get $ix0)) (i32.const 0))))
    (if (i32.gt_s (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))
    (if (i32.gt_s (local.get $lo) (local.get $hi)) (then (local.set $lo (local.get $hi))))
    (local.get $lo) (local.get $hi))

  (func (export "im2col")
    (param $batch i32) (param $c i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $padTop i32) (param $padLeft i32) (param $outH i32) (param $outW i32)
    (param $image i32) (param $cols i32)
    (local $ci i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $iy i32) (local $ix i32) (local $plane i32) (local $imgSize i32)
    (local $lo i32) (local $hi i32) (local $src i32) (local $loK i32) (local $hiK i32) (local $t i32) (local $n i32)
    (local.set $imgSize (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $h)) (local.get $w)) (i32.const 2)))
    (block $doneB (loop $examples
      (br_if $doneB (i32.le_s (local.get $batch) (i32.const 0)))
      (local.set $ci (i32.const 0))
      (block $doneC (loop $channels
        (br_if $doneC (i32.ge_s (local.get $ci) (local.get $c)))
        (local.set $plane (i32.add (local.get $image)
          (i32.shl (i32.mul (i32.mul (local.get $ci) (local.get $h)) (local.get $w)) (i32.const 2))))
        (local.set $kh (i32.const 0))
        (block $doneKH (loop $khs
          (br_if $doneKH (i32.ge_s (local.get $kh) (local.get $k)))
          (local.set $kw (i32.const 0))
          (block $doneKW (loop $kws
            (br_if $doneKW (i32.ge_s (local.get $kw) (local.get $k)))
            ;; the valid output columns depend on kw only: computed once per kernel column
            (local.set $ix (i32.sub (local.get $kw) (local.get $padLeft)))
            (call $validRange (local.get $ix) (local.get $stride) (local.get $w) (local.get $outW))
            (local.set $hiK) (local.set $loK)
            (local.set $oh (i32.const 0))
            (block $doneOH (loop $ohs
              (br_if $doneOH (i32.ge_s (local.get $oh) (local.get $outH)))
              (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $stride)) (local.get $padTop)) (local.get $kh)))
              (local.set $lo (local.get $loK)) (local.set $hi (local.get $hiK))
              (if (i32.ge_u (local.get $iy) (local.get $h))
                (then (local.set $lo (i32.const 0)) (local.set $hi (i32.const 0))))
              ;; [0, lo) and [hi, outW) read padding; [lo, hi) reads the image row
              (local.set $t (i32.const 0))
              (block $doneZ1 (loop $z1
                (br_if $doneZ1 (i32.ge_s (local.get $t) (local.get $lo)))
                (f32.store (i32.add (local.get $cols) (i32.shl (local.get $t) (i32.const 2))) (f32.const 0))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $z1)))
              (local.set $src (i32.add (local.get $plane)
                (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $w))
                  (i32.add (local.get $ix) (i32.mul (local.get $lo) (local.get $stride)))) (i32.const 2))))
              (if (i32.eq (local.get $stride) (i32.const 1))
                (then
                  ;; inline copy (a call per image row would cost more than the row)
                  (local.set $t (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2))))
                  (local.set $n (i32.sub (local.get $hi) (local.get $lo)))
                  (block $doneC4 (loop $c4
                    (br_if $doneC4 (i32.lt_s (local.get $n) (i32.const 4)))
                    (v128.store (local.get $t) (v128.load (local.get $src)))
                    (local.set $t (i32.add (local.get $t) (i32.const 16)))
                    (local.set $src (i32.add (local.get $src) (i32.const 16)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 4)))
                    (br $c4)))
                  (block $doneC1 (loop $c1
                    (br_if $doneC1 (i32.le_s (local.get $n) (i32.const 0)))
                    (f32.store (local.get $t) (f32.load (local.get $src)))
                    (local.set $t (i32.add (local.get $t) (i32.const 4)))
                    (local.set $src (i32.add (local.get $src) (i32.const 4)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $c1))))
                (else
                  (local.set $ow (local.get $lo))
                  (block $doneOW (loop $ows
                    (br_if $doneOW (i32.ge_s (local.get $ow) (local.get $hi)))
                    (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 2))))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $ows)))))
              (local.set $t (local.get $hi))
              (block $doneZ2 (loop $z2
                (br_if $doneZ2 (i32.ge_s (local.get $t) (local.get $outW)))
                (f32.store (i32.add (local.get $cols) (i32.shl (local.get $t) (i32.const 2))) (f32.const 0))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $z2)))
              (local.set $cols (i32.add (local.get $cols) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $ohs)))
            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
            (br $kws)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khs)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $channels)))
      (local.set $image (i32.add (local.get $image) (local.get $imgSize)))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $examples))))

  ;; The adjoint of im2col: image = Σ over the columns that read each pixel (image is overwritten).
  ;; This is the input gradient of a convolution given dcols = Wᵀ·δ.
  (func (export "col2im")
    (param $batch i32) (param $c i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $padTop i32) (param $padLeft i32) (param $outH i32) (param $outW i32)
    (param $cols i32) (param $image i32)
    (local $ci i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $iy i32) (local $ix i32) (local $plane i32) (local $imgSize i32) (local $addr i32)
    (local $lo i32) (local $hi i32) (local $src i32)
    (local.set $imgSize (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $h)) (local.get $w)) (i32.const 2)))
    (memory.fill (local.get $image) (i32.const 0) (i32.mul (local.get $imgSize) (local.get $batch)))
    (block $doneB (loop $examples
      (br_if $doneB (i32.le_s (local.get $batch) (i32.const 0)))
      (local.set $ci (i32.const 0))
      (block $doneC (loop $channels
        (br_if $doneC (i32.ge_s (local.get $ci) (local.get $c)))
        (local.set $plane (i32.add (local.get $image)
          (i32.shl (i32.mul (i32.mul (local.get $ci) (local.get $h)) (local.get $w)) (i32.const 2))))
        (local.set $kh (i32.const 0))
        (block $doneKH (loop $khs
          (br_if $doneKH (i32.ge_s (local.get $kh) (local.get $k)))
          (local.set $kw (i32.const 0))
          (block $doneKW (loop $kws
            (br_if $doneKW (i32.ge_s (local.get $kw) (local.get $k)))
            (local.set $ix (i32.sub (local.get $kw) (local.get $padLeft)))
            (call $validRange (local.get $ix) (local.get $stride) (local.get $w) (local.get $outW))
            (local.set $hi) (local.set $lo)
            (local.set $oh (i32.const 0))
            (block $doneOH (loop $ohs
              (br_if $doneOH (i32.ge_s (local.get $oh) (local.get $outH)))
              (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $stride)) (local.get $padTop)) (local.get $kh)))
              (if (i32.lt_u (local.get $iy) (local.get $h))
                (then
                  (local.set $addr (i32.add (local.get $plane)
                    (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $w))
                      (i32.add (local.get $ix) (i32.mul (local.get $lo) (local.get $stride)))) (i32.const 2))))
                  (local.set $src (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2))))
                  (local.set $ow (local.get $lo))
                  (if (i32.eq (local.get $stride) (i32.const 1))
                    (then
                      (block $done4 (loop $by4
                        (br_if $done4 (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                        (v128.store (local.get $addr) (f32x4.add (v128.load (local.get $addr)) (v128.load (local.get $src))))
                        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
                        (local.set $src (i32.add (local.get $src) (i32.const 16)))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                        (br $by4)))))
                  (block $doneOW (loop $ows
                    (br_if $doneOW (i32.ge_s (local.get $ow) (local.get $hi)))
                    (f32.store (local.get $addr) (f32.add (f32.load (local.get $addr)) (f32.load (local.get $src))))
                    (local.set $addr (i32.add (local.get $addr) (i32.shl (local.get $stride) (i32.const 2))))
                    (local.set $src (i32.add (local.get $src) (i32.const 4)))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $ows)))))
              (local.set $cols (i32.add (local.get $cols) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $ohs)))
            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
            (br $kws)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khs)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $channels)))
      (local.set $image (i32.add (local.get $image) (local.get $imgSize)))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $examples))))
;; ---------------------------------------------------------------------------------------------
  ;; maxpool2d over `planes` channels-first planes h×w, `valid` windows k×k with stride.
  ;; The winner is the first maximum of the window, and a NaN wins and stays (pooling must not hide
  ;; non-finite values), exactly as src/engine/layers/maxpool2d.ts. The backward pass finds the
  ;; winner again from input and output, so no argmax buffer is needed.

  (func (export "maxpool_forward")
    (param $planes i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $outH i32) (param $outW i32) (param $input i32) (param $output i32)
    (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $best f32) (local $v f32)
    (local $row i32) (local $planeBytes i32) (local $fast i32) (local $r0 v128) (local $r1 v128) (local $vb v128)
    (local.set $fast (i32.and (i32.eq (local.get $k) (i32.const 2)) (i32.eq (local.get $stride) (i32.const 2))))
    (local.set $planeBytes (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2)))
    (block $doneP (loop $plane
      (br_if $doneP (i32.le_s (local.get $planes) (i32.const 0)))
      (local.set $oy (i32.const 0))
      (block $doneY (loop $ys
        (br_if $doneY (i32.ge_s (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $doneX (loop $xs
          (br_if $doneX (i32.ge_s (local.get $ox) (local.get $outW)))
          (if (i32.and (local.get $fast) (i32.le_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW)))
            (then
              ;; 2×2 stride 2, four outputs at once, branch-free: the rule as a lane mask
              (local.set $row (i32.add (local.get $input) (i32.shl
                (i32.add (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $w)) (i32.shl (local.get $ox) (i32.const 1)))
                (i32.const 2))))
              (local.set $r0 (v128.load (local.get $row)))
              (local.set $r1 (v128.load offset=16 (local.get $row)))
              (local.set $vb (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)))
              (local.set $vb (v128.bitselect (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $vb)
                    (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $vb))))))
              (local.set $row (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 2))))
              (local.set $r0 (v128.load (local.get $row)))
              (local.set $r1 (v128.load offset=16 (local.get $row)))
              (local.set $vb (v128.bitselect (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (local.get $vb)
                    (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (local.get $vb))))))
              (local.set $vb (v128.bitselect (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $vb)
                    (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $vb))))))
              (v128.store (local.get $output) (local.get $vb))
              (local.set $output (i32.add (local.get $output) (i32.const 16)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $xs)))
          (local.set $row (i32.add (local.get $input) (i32.shl
            (i32.add (i32.mul (i32.mul (local.get $oy) (local.get $stride)) (local.get $w)) (i32.mul (local.get $ox) (local.get $stride)))
            (i32.const 2))))
          (local.set $best (f32.load (local.get $row)))
          (if (i32.eq (local.get $k) (i32.const 2))
            (then
              ;; the common 2×2 window, unrolled
              (local.set $v (f32.load offset=4 (local.get $row)))
              (if (i32.and (f32.eq (local.get $best) (local.get $best)) (i32.eqz (f32.le (local.get $v) (local.get $best))))
                (then (local.set $best (local.get $v))))
              (local.set $row (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 2))))
              (local.set $v (f32.load (local.get $row)))
              (if (i32.and (f32.eq (local.get $best) (local.get $best)) (i32.eqz (f32.le (local.get $v) (local.get $best))))
                (then (local.set $best (local.get $v))))
              (local.set $v (f32.load offset=4 (local.get $row)))
              (if (i32.and (f32.eq (local.get $best) (local.get $best)) (i32.eqz (f32.le (local.get $v) (local.get $best))))
                (then (local.set $best (local.get $v))))
              (local.set $ky (local.get $k)))
            (else (local.set $ky (i32.const 0))))
          (block $doneKY (loop $kys
            (br_if $doneKY (i32.ge_s (local.get $ky) (local.get $k)))
            (local.set $kx (i32.const 0))
            (block $doneKX (loop $kxs
              (br_if $doneKX (i32.ge_s (local.get $kx) (local.get $k)))
              (local.set $v (f32.load (i32.add (local.get $row) (i32.shl (local.get $kx) (i32.const 2)))))
              ;; take v when best is not NaN and !(v <= best): v larger, or v NaN
              (if (i32.and (f32.eq (local.get $best) (local.get $best)) (i32.eqz (f32.le (local.get $v) (local.get $best))))
                (then (local.set $best (local.get $v))))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br $kxs)))
            (local.set $row (i32.add (local.get $row) (i32.shl (local.get $w) (i32.const 2))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kys)))
          (f32.store (local.get $output) (local.get $best))
          (local.set $output (i32.add (local.get $output) (i32.const 4)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $ys)))
      (local.set $input (i32.add (local.get $input) (local.get $planeBytes)))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))

  ;; Byte offset (0, 4, row, row + 4) of the first entry of a 2×2 window equal to target (or NaN
  ;; when target is NaN), -1 if none.
  (func $firstMatch (param $p i32) (param $row i32) (param $target f32) (param $isNaN i32) (result i32)
    (local $v f32)
    (local.set $v (f32.load (local.get $p)))
    (if (select (f32.ne (local.get $v) (local.get $v)) (f32.eq (local.get $v) (local.get $target)) (local.get $isNaN))
      (then (return (i32.const 0))))
    (local.set $v (f32.load offset=4 (local.get $p)))
    (if (select (f32.ne (local.get $v) (local.get $v)) (f32.eq (local.get $v) (local.get $target)) (local.get $isNaN))
      (then (return (i32.const 4))))
    (local.set $v (f32.load (i32.add (local.get $p) (local.get $row))))
    (if (select (f32.ne (local.get $v) (local.get $v)) (f32.eq (local.get $v) (local.get $target)) (local.get $isNaN))
      (then (return (local.get $row))))
    (local.set $v (f32.load offset=4 (i32.add (local.get $p) (local.get $row))))
    (if (select (f32.ne (local.get $v) (local.get $v)) (f32.eq (local.get $v) (local.get $target)) (local.get $isNaN))
      (then (return (i32.add (local.get $row) (i32.const 4)))))
    (i32.const -1))

  ;; gradIn (overwritten, planes×h×w) gets each output's gradient at its window's winner.
  (func (export "maxpool_backward")
    (param $planes i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $outH i32) (param $outW i32) (param $input i32) (param $output i32)
    (param $gradOut i32) (param $gradIn i32)
    (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $target f32) (local $v f32)
    (local $offset i32) (local $at i32) (local $planeBytes i32) (local $isNaN i32)
    (local $fast i32) (local $r0 v128) (local $r1 v128) (local $t v128) (local $tNaN v128) (local $g v128)
    (local $m0 v128) (local $m1 v128) (local $taken v128)
    (local.set $fast (i32.and (i32.eq (local.get $k) (i32.const 2)) (i32.eq (local.get $stride) (i32.const 2))))
    (local.set $planeBytes (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2)))
    (call $zero (local.get $gradIn) (i32.mul (local.get $planes) (i32.mul (local.get $h) (local.get $w))))
    (block $doneP (loop $plane
      (br_if $doneP (i32.le_s (local.get $planes) (i32.const 0)))
      (local.set $oy (i32.const 0))
      (block $doneY (loop $ys
        (br_if $doneY (i32.ge_s (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $doneX (loop $xs
          (br_if $doneX (i32.ge_s (local.get $ox) (local.get $outW)))
          (if (i32.and (local.get $fast) (i32.le_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW)))
            (then
              ;; 2×2 stride 2, four outputs at once: lane masks of the first matching candidate.
              ;; Windows are disjoint, so the routed gradients are stored, not accumulated.
              (local.set $t (v128.load (local.get $output)))
              (local.set $tNaN (f32x4.ne (local.get $t) (local.get $t)))
              (local.set $g (v128.load (local.get $gradOut)))
              (local.set $offset (i32.shl
                (i32.add (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $w)) (i32.shl (local.get $ox) (i32.const 1)))
                (i32.const 2)))
              (local.set $r0 (v128.load (i32.add (local.get $input) (local.get $offset))))
              (local.set $r1 (v128.load offset=16 (i32.add (local.get $input) (local.get $offset))))
              (local.set $m0 (v128.bitselect (f32x4.ne (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1))) (f32x4.eq (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (local.get $t)) (local.get $tNaN)))
              (local.set $m1 (v128.andnot (v128.bitselect (f32x4.ne (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1))) (f32x4.eq (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $t)) (local.get $tNaN)) (local.get $m0)))
              (local.set $taken (v128.or (local.get $m0) (local.get $m1)))
              (local.set $at (i32.add (local.get $gradIn) (local.get $offset)))
              (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
              (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
              (local.set $offset (i32.add (local.get $offset) (i32.shl (local.get $w) (i32.const 2))))
              (local.set $r0 (v128.load (i32.add (local.get $input) (local.get $offset))))
              (local.set $r1 (v128.load offset=16 (i32.add (local.get $input) (local.get $offset))))
              (local.set $m0 (v128.andnot (v128.bitselect (f32x4.ne (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1))) (f32x4.eq (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)) (local.get $t)) (local.get $tNaN)) (local.get $taken)))
              (local.set $taken (v128.or (local.get $taken) (local.get $m0)))
              (local.set $m1 (v128.andnot (v128.bitselect (f32x4.ne (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1))) (f32x4.eq (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)) (local.get $t)) (local.get $tNaN)) (local.get $taken)))
              (local.set $at (i32.add (local.get $gradIn) (local.get $offset)))
              (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
              (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
              (local.set $output (i32.add (local.get $output) (i32.const 16)))
              (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 16)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $xs)))
          (local.set $target (f32.load (local.get $output)))
          (local.set $isNaN (f32.ne (local.get $target) (local.get $target)))
          (local.set $at (i32.const -1))
          (local.set $ky (i32.const 0))
          (if (i32.eq (local.get $k) (i32.const 2))
            (then
              ;; the common 2×2 window: the first of its four entries that matches the output
              (local.set $offset (i32.shl
                (i32.add (i32.mul (i32.mul (local.get $oy) (local.get $stride)) (local.get $w)) (i32.mul (local.get $ox) (local.get $stride)))
                (i32.const 2)))
              (local.set $at (call $firstMatch (i32.add (local.get $input) (local.get $offset)) (i32.shl (local.get $w) (i32.const 2))
                (local.get $target) (local.get $isNaN)))
              (if (i32.ge_s (local.get $at) (i32.const 0)) (then (local.set $at (i32.add (local.get $offset) (local.get $at)))))
              (local.set $ky (local.get $k))))
          (block $found
            (loop $kys
              (br_if $found (i32.ge_s (local.get $ky) (local.get $k)))
              (local.set $kx (i32.const 0))
              (loop $kxs
                (if (i32.lt_s (local.get $kx) (local.get $k))
                  (then
                    (local.set $offset (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $stride)) (local.get $ky)) (local.get $w))
                        (i32.add (i32.mul (local.get $ox) (local.get $stride)) (local.get $kx)))
                      (i32.const 2)))
                    (local.set $v (f32.load (i32.add (local.get $input) (local.get $offset))))
                    (if (select (f32.ne (local.get $v) (local.get $v)) (f32.eq (local.get $v) (local.get $target)) (local.get $isNaN))
                      (then (local.set $at (local.get $offset)) (br $found)))
                    (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                    (br $kxs))))
              (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
              (br $kys)))
          (if (i32.ge_s (local.get $at) (i32.const 0))
            (then
              (local.set $at (i32.add (local.get $gradIn) (local.get $at)))
              (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (local.get $gradOut))))))
          (local.set $output (i32.add (local.get $output) (i32.const 4)))
          (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 4)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $ys)))
      (local.set $input (i32.add (local.get $input) (local.get $planeBytes)))
      (local.set $gradIn (i32.add (local.get $gradIn) (local.get $planeBytes)))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))
)
