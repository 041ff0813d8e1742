;; gemm: A·B and Aᵀ·B (4×8 register tiles), A·Bᵀ (dot-product tiles), Aᵀ·Bᵀ (strided scalar).
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

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

;; count products C_e = A·B_e (alpha 1, beta 0), B_e (k×n) and C_e (m×n) one after another: a conv
  ;; layer's per-example products W·colsₑ in one call (each exactly gemm_bn's).
  (func (export "gemm_bn_each")
    (param $count i32) (param $m i32) (param $n i32) (param $k i32) (param $a i32) (param $b i32) (param $c i32)
    (local $bStep i32) (local $cStep i32)
    (local.set $bStep (i32.shl (i32.mul (local.get $k) (local.get $n)) (i32.const 2)))
    (local.set $cStep (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2)))
    (block $done (loop $each
      (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
      (call $gemm_bn_strip (local.get $m) (local.get $n) (local.get $k) (f32.const 1)
        (local.get $a) (local.get $k) (i32.const 1) (local.get $b) (local.get $n) (f32.const 0) (local.get $c))
      (local.set $b (i32.add (local.get $b) (local.get $bStep)))
      (local.set $c (i32.add (local.get $c) (local.get $cStep)))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br $each))))

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

