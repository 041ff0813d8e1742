;; Per-example statistics of a dense layer from the batch's Gram matrices (Backend.denseGramStats):
;;   ‖gᵢ‖² = KΔ[i,i]·(KA[i,i] + b),  gᵢ·G = (1/M)·Σⱼ KΔ[i,j]·(KA[i,j] + b)   (b = 1 with a bias)
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat.
;;
;; Both Gram matrices are symmetric, so only their upper triangle (j ≥ i) is computed, in 4-row
;; blocks: 56 % of the full products at m = 32. The combination then visits each pair i ≤ j once and
;; adds its term to both examples, in float64 (as the JS loop it replaces did).

  ;; The upper triangle (j ≥ i) of K = X·Xᵀ into k (m×m, row stride m), X m×n row-major at x and
  ;; xt its transpose (n×m, the JS side makes it with transpose): each 4-row block of X against the
  ;; columns from its own first row on, through gemm_bn's tiles (4×8, then 4×4, then scalar), which
  ;; need no horizontal sums. Entries below the diagonal inside the diagonal tiles are filled too;
  ;; the others are left as they were.
  (func (export "gram_upper") (param $m i32) (param $n i32) (param $x i32) (param $xt i32) (param $k i32)
    (local $i i32) (local $rows i32)
    (block $done (loop $blocks
      (br_if $done (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $rows (select (i32.const 4) (i32.sub (local.get $m) (local.get $i))
        (i32.le_s (i32.add (local.get $i) (i32.const 4)) (local.get $m))))
      (call $gemm_bn_strip (local.get $rows) (i32.sub (local.get $m) (local.get $i)) (local.get $n) (f32.const 1)
        (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2))) (local.get $n) (i32.const 1)
        (i32.add (local.get $xt) (i32.shl (local.get $i) (i32.const 2))) (local.get $m) (f32.const 0)
        (i32.add (local.get $k) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $i)) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $blocks))))

;; dots[i] = (1/m)·Σⱼ KΔ[i,j]·(KA[i,j] + bias) and sq[i] = KΔ[i,i]·(KA[i,i] + bias), float64 out
  ;; (dots and sq: m doubles each). Only entries j ≥ i are read. kd: m×m, row stride m; ka: row
  ;; stride lda (m, or m rounded up to 4 as gram_upper_sparse makes it).
  (func (export "gram_combine")
    (param $m i32) (param $bias f64) (param $ka i32) (param $lda i32) (param $kd i32)
    (param $dots i32) (param $sq i32)
    (local $i i32) (local $j i32) (local $rowA i32) (local $rowD i32) (local $s f64) (local $t f64) (local $pj i32)
    (memory.fill (local.get $dots) (i32.const 0) (i32.shl (local.get $m) (i32.const 3)))
    (block $doneI (loop $rows
      (br_if $doneI (i32.ge_s (local.get $i) (local.get $m)))
      ;; rowA + 4·j and rowD + 4·j address entry (i, j)
      (local.set $rowA (i32.add (local.get $ka) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2))))
      (local.set $rowD (i32.add (local.get $kd) (i32.shl (i32.mul (local.get $i) (local.get $m)) (i32.const 2))))
      ;; the diagonal term
      (local.set $t (f64.mul
        (f64.promote_f32 (f32.load (i32.add (local.get $rowD) (i32.shl (local.get $i) (i32.const 2)))))
        (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $rowA) (i32.shl (local.get $i) (i32.const 2)))))
                 (local.get $bias))))
      (f64.store (i32.add (local.get $sq) (i32.shl (local.get $i) (i32.const 3))) (local.get $t))
      (local.set $s (f64.add (f64.load (i32.add (local.get $dots) (i32.shl (local.get $i) (i32.const 3)))) (local.get $t)))
      ;; j > i: the term goes to both examples
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (block $doneJ (loop $cols
        (br_if $doneJ (i32.ge_s (local.get $j) (local.get $m)))
        (local.set $t (f64.mul
          (f64.promote_f32 (f32.load (i32.add (local.get $rowD) (i32.shl (local.get $j) (i32.const 2)))))
          (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $rowA) (i32.shl (local.get $j) (i32.const 2)))))
                   (local.get $bias))))
        (local.set $s (f64.add (local.get $s) (local.get $t)))
        (local.set $pj (i32.add (local.get $dots) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $pj) (f64.add (f64.load (local.get $pj)) (local.get $t)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols)))
      (f64.store (i32.add (local.get $dots) (i32.shl (local.get $i) (i32.const 3)))
        (f64.div (local.get $s) (f64.convert_i32_s (local.get $m))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))

  ;; The upper triangle (j ≥ i) of K = X·Xᵀ (X m×n row-major at x) into out (m4×m4, row stride m4,
  ;; m4 = m rounded up to 4; rows and columns from m on are zeros), skipping X's zeros and needing no
  ;; transposed copy. Two passes:
  ;;  1. each 4-row block b of X into its panel (n vectors at panels + 16·n·b: pixel p's 4 values,
  ;;     through 4×4 register transposes, so the writes are contiguous; rows ≥ m read as zeros), and
  ;;     the list of the p where the block is nonzero (byte offsets 16·p at lists + 4·(n+1)·b, word 0
  ;;     the end); 4 p at once skipped when all 16 values are zero (MNIST's blank borders);
  ;;  2. for each block i, the 4×8 (then 4×4) tiles of columns from its own first row on, over block
  ;;     i's list only: the values of block i splatted from its panel, those of the columns' blocks
  ;;     loaded from theirs.
  ;; Same numbers as gram_upper for a finite X (the same products in the same order of p; a skipped
  ;; product is a ±0 added to an accumulator that started at +0). Not for a non-finite X: a skipped
  ;; 0·∞ would hide a NaN (a non-finite xᵢ shows on the diagonal, which the caller checks).
  (func (export "gram_upper_sparse")
    (param $m i32) (param $n i32) (param $x i32) (param $panels i32) (param $lists i32) (param $out i32)
    (local $m4 i32) (local $blocks i32) (local $b i32) (local $p i32) (local $n4 i32) (local $n16 i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $rows i32)
    (local $lanes v128) (local $zero v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $pan i32) (local $list i32) (local $end i32)
    (local $c i32) (local $pi i32) (local $pj i32) (local $pj1 i32) (local $e i32) (local $off i32) (local $cp i32) (local $ld4 i32)
    (local $s v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $m4 (i32.and (i32.add (local.get $m) (i32.const 3)) (i32.const -4)))
    (local.set $blocks (i32.shr_u (local.get $m4) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n16 (i32.shl (local.get $n) (i32.const 4)))
    (local.set $ld4 (i32.shl (local.get $m4) (i32.const 2)))
    ;; pass 1: panels and lists
    (block $donePanels (loop $panelBlocks
      (br_if $donePanels (i32.ge_s (local.get $b) (local.get $blocks)))
      ;; rows of this block that exist; a missing row reads row 0's memory and is masked to zero
      (local.set $rows (i32.sub (local.get $m) (i32.shl (local.get $b) (i32.const 2))))
      (local.set $lanes (i32x4.gt_s (i32x4.splat (local.get $rows)) (v128.const i32x4 0 1 2 3)))
      (local.set $r0 (i32.add (local.get $x) (i32.mul (i32.shl (local.get $b) (i32.const 2)) (local.get $n4))))
      (local.set $r1 (select (i32.add (local.get $r0) (local.get $n4)) (local.get $r0) (i32.gt_s (local.get $rows) (i32.const 1))))
      (local.set $r2 (select (i32.add (local.get $r0) (i32.shl (local.get $n4) (i32.const 1))) (local.get $r0)
        (i32.gt_s (local.get $rows) (i32.const 2))))
      (local.set $r3 (select (i32.add (local.get $r0) (i32.mul (local.get $n4) (i32.const 3))) (local.get $r0)
        (i32.gt_s (local.get $rows) (i32.const 3))))
      (local.set $pan (i32.add (local.get $panels) (i32.mul (local.get $b) (local.get $n16))))
      (local.set $list (i32.add (local.get $lists) (i32.mul (local.get $b) (i32.add (local.get $n4) (i32.const 4)))))
      (local.set $end (i32.add (local.get $list) (i32.const 4)))
      (local.set $p (i32.const 0))
      (block $doneQuads (loop $quads
        (br_if $doneQuads (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $n)))
        (local.set $v0 (v128.load (local.get $r0)))
        (local.set $v1 (v128.load (local.get $r1)))
        (local.set $v2 (v128.load (local.get $r2)))
        (local.set $v3 (v128.load (local.get $r3)))
        (if (v128.any_true (v128.or
              (v128.or (f32x4.ne (local.get $v0) (local.get $zero)) (f32x4.ne (local.get $v1) (local.get $zero)))
              (v128.or (f32x4.ne (local.get $v2) (local.get $zero)) (f32x4.ne (local.get $v3) (local.get $zero)))))
          (then
            ;; (v0[t], v1[t], v2[t], v3[t]) for t = 0..3, masked to the rows that exist
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $v0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $v2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            (local.set $s (v128.and (local.get $lanes)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))))
            (v128.store (local.get $pan) (local.get $s))
            (i32.store (local.get $end) (i32.shl (local.get $p) (i32.const 4)))
            (local.set $end (i32.add (local.get $end) (i32.shl (v128.any_true (f32x4.ne (local.get $s) (local.get $zero))) (i32.const 2))))
            (local.set $s (v128.and (local.get $lanes)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
            (v128.store offset=16 (local.get $pan) (local.get $s))
            (i32.store (local.get $end) (i32.shl (i32.add (local.get $p) (i32.const 1)) (i32.const 4)))
            (local.set $end (i32.add (local.get $end) (i32.shl (v128.any_true (f32x4.ne (local.get $s) (local.get $zero))) (i32.const 2))))
            (local.set $s (v128.and (local.get $lanes)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v2))))
            (v128.store offset=32 (local.get $pan) (local.get $s))
            (i32.store (local.get $end) (i32.shl (i32.add (local.get $p) (i32.const 2)) (i32.const 4)))
            (local.set $end (i32.add (local.get $end) (i32.shl (v128.any_true (f32x4.ne (local.get $s) (local.get $zero))) (i32.const 2))))
            (local.set $s (v128.and (local.get $lanes)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v0) (local.get $v2))))
            (v128.store offset=48 (local.get $pan) (local.get $s))
            (i32.store (local.get $end) (i32.shl (i32.add (local.get $p) (i32.const 3)) (i32.const 4)))
            (local.set $end (i32.add (local.get $end) (i32.shl (v128.any_true (f32x4.ne (local.get $s) (local.get $zero))) (i32.const 2)))))
          (else
            (v128.store (local.get $pan) (local.get $zero))
            (v128.store offset=16 (local.get $pan) (local.get $zero))
            (v128.store offset=32 (local.get $pan) (local.get $zero))
            (v128.store offset=48 (local.get $pan) (local.get $zero))))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
        (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
        (local.set $r2 (i32.add (local.get $r2) (i32.const 16)))
        (local.set $r3 (i32.add (local.get $r3) (i32.const 16)))
        (local.set $pan (i32.add (local.get $pan) (i32.const 64)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $quads)))
      ;; the last n mod 4 pixels one at a time
      (block $doneOne (loop $one
        (br_if $doneOne (i32.ge_s (local.get $p) (local.get $n)))
        (local.set $s (v128.and (local.get $lanes)
          (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (f32.load (local.get $r0)))
            (f32.load (local.get $r1))) (f32.load (local.get $r2))) (f32.load (local.get $r3)))))
        (v128.store (local.get $pan) (local.get $s))
        (i32.store (local.get $end) (i32.shl (local.get $p) (i32.const 4)))
        (local.set $end (i32.add (local.get $end) (i32.shl (v128.any_true (f32x4.ne (local.get $s) (local.get $zero))) (i32.const 2))))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 4)))
        (local.set $r1 (i32.add (local.get $r1) (i32.const 4)))
        (local.set $r2 (i32.add (local.get $r2) (i32.const 4)))
        (local.set $r3 (i32.add (local.get $r3) (i32.const 4)))
        (local.set $pan (i32.add (local.get $pan) (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $one)))
      (i32.store (local.get $list) (local.get $end))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $panelBlocks)))
    ;; pass 2: block b's rows against the columns from 4·b on
    (local.set $b (i32.const 0))
    (block $doneRows (loop $rowBlocks
      (br_if $doneRows (i32.ge_s (local.get $b) (local.get $blocks)))
      (local.set $list (i32.add (local.get $lists) (i32.mul (local.get $b) (i32.add (local.get $n4) (i32.const 4)))))
      (local.set $end (i32.load (local.get $list)))
      (local.set $pi (i32.add (local.get $panels) (i32.mul (local.get $b) (local.get $n16))))
      (local.set $c (i32.shl (local.get $b) (i32.const 2)))
      (local.set $cp (i32.add (local.get $out) (i32.shl (i32.mul (local.get $c) (i32.add (local.get $m4) (i32.const 1))) (i32.const 2))))
      (block $done8 (loop $cols8
        (br_if $done8 (i32.gt_s (i32.add (local.get $c) (i32.const 8)) (local.get $m4)))
        (local.set $pj (i32.add (local.get $panels) (i32.mul (i32.shr_u (local.get $c) (i32.const 2)) (local.get $n16))))
        (local.set $pj1 (i32.add (local.get $pj) (local.get $n16)))
        (local.set $c00 (local.get $zero)) (local.set $c01 (local.get $zero))
        (local.set $c10 (local.get $zero)) (local.set $c11 (local.get $zero))
        (local.set $c20 (local.get $zero)) (local.set $c21 (local.get $zero))
        (local.set $c30 (local.get $zero)) (local.set $c31 (local.get $zero))
        (local.set $e (i32.add (local.get $list) (i32.const 4)))
        (block $doneE (loop $entries
          (br_if $doneE (i32.ge_u (local.get $e) (local.get $end)))
          (local.set $off (i32.load (local.get $e)))
          (local.set $b0 (v128.load (i32.add (local.get $pj) (local.get $off))))
          (local.set $b1 (v128.load (i32.add (local.get $pj1) (local.get $off))))
          (local.set $off (i32.add (local.get $pi) (local.get $off)))
          (local.set $s (v128.load32_splat (local.get $off)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=4 (local.get $off)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=8 (local.get $off)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat offset=12 (local.get $off)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $e (i32.add (local.get $e) (i32.const 4)))
          (br $entries)))
        (v128.store (local.get $cp) (local.get $c00))
        (v128.store offset=16 (local.get $cp) (local.get $c01))
        (local.set $off (i32.add (local.get $cp) (local.get $ld4)))
        (v128.store (local.get $off) (local.get $c10))
        (v128.store offset=16 (local.get $off) (local.get $c11))
        (local.set $off (i32.add (local.get $off) (local.get $ld4)))
        (v128.store (local.get $off) (local.get $c20))
        (v128.store offset=16 (local.get $off) (local.get $c21))
        (local.set $off (i32.add (local.get $off) (local.get $ld4)))
        (v128.store (local.get $off) (local.get $c30))
        (v128.store offset=16 (local.get $off) (local.get $c31))
        (local.set $cp (i32.add (local.get $cp) (i32.const 32)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $cols8)))
      ;; the last 4 columns
      (if (i32.lt_s (local.get $c) (local.get $m4))
        (then
          (local.set $pj (i32.add (local.get $panels) (i32.mul (i32.shr_u (local.get $c) (i32.const 2)) (local.get $n16))))
          (local.set $c00 (local.get $zero)) (local.set $c10 (local.get $zero))
          (local.set $c20 (local.get $zero)) (local.set $c30 (local.get $zero))
          (local.set $e (i32.add (local.get $list) (i32.const 4)))
          (block $doneE4 (loop $entries4
            (br_if $doneE4 (i32.ge_u (local.get $e) (local.get $end)))
            (local.set $off (i32.load (local.get $e)))
            (local.set $b0 (v128.load (i32.add (local.get $pj) (local.get $off))))
            (local.set $off (i32.add (local.get $pi) (local.get $off)))
            (local.set $s (v128.load32_splat (local.get $off)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $s (v128.load32_splat offset=4 (local.get $off)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $s (v128.load32_splat offset=8 (local.get $off)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $s (v128.load32_splat offset=12 (local.get $off)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $e (i32.add (local.get $e) (i32.const 4)))
            (br $entries4)))
          (v128.store (local.get $cp) (local.get $c00))
          (local.set $off (i32.add (local.get $cp) (local.get $ld4)))
          (v128.store (local.get $off) (local.get $c10))
          (local.set $off (i32.add (local.get $off) (local.get $ld4)))
          (v128.store (local.get $off) (local.get $c20))
          (local.set $off (i32.add (local.get $off) (local.get $ld4)))
          (v128.store (local.get $off) (local.get $c30))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rowBlocks))))
