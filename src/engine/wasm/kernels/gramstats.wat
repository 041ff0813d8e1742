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
  ;; (dots and sq: m doubles each). Only entries j ≥ i are read. kd: m×m, row stride m. KA in two
  ;; blocks as the zero-skipping path makes them: columns j < h from ka (rows 0..h−1, row stride h),
  ;; columns j ≥ h from ka2 (every row, row stride m−h); h = m when KA is one m×m matrix.
  (func (export "gram_combine")
    (param $m i32) (param $bias f64) (param $ka i32) (param $ka2 i32) (param $h i32) (param $kd i32)
    (param $dots i32) (param $sq i32)
    (local $i i32) (local $j i32) (local $rowA i32) (local $rowA2 i32) (local $rowD i32) (local $s f64) (local $t f64) (local $pj i32)
    (memory.fill (local.get $dots) (i32.const 0) (i32.shl (local.get $m) (i32.const 3)))
    (block $doneI (loop $rows
      (br_if $doneI (i32.ge_s (local.get $i) (local.get $m)))
      ;; rowA + 4·j (j < h) or rowA2 + 4·j (j ≥ h), and rowD + 4·j, address entry (i, j)
      (local.set $rowA (i32.add (local.get $ka) (i32.shl (i32.mul (local.get $i) (local.get $h)) (i32.const 2))))
      (local.set $rowA2 (i32.add (local.get $ka2)
        (i32.shl (i32.sub (i32.mul (local.get $i) (i32.sub (local.get $m) (local.get $h))) (local.get $h)) (i32.const 2))))
      (local.set $rowD (i32.add (local.get $kd) (i32.shl (i32.mul (local.get $i) (local.get $m)) (i32.const 2))))
      ;; the diagonal term
      (local.set $t (f64.mul
        (f64.promote_f32 (f32.load (i32.add (local.get $rowD) (i32.shl (local.get $i) (i32.const 2)))))
        (f64.add (f64.promote_f32 (f32.load (i32.add
                   (select (local.get $rowA) (local.get $rowA2) (i32.lt_s (local.get $i) (local.get $h)))
                   (i32.shl (local.get $i) (i32.const 2)))))
                 (local.get $bias))))
      (f64.store (i32.add (local.get $sq) (i32.shl (local.get $i) (i32.const 3))) (local.get $t))
      (local.set $s (f64.add (f64.load (i32.add (local.get $dots) (i32.shl (local.get $i) (i32.const 3)))) (local.get $t)))
      ;; j > i: the term goes to both examples
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (block $doneJ (loop $cols
        (br_if $doneJ (i32.ge_s (local.get $j) (local.get $m)))
        (local.set $t (f64.mul
          (f64.promote_f32 (f32.load (i32.add (local.get $rowD) (i32.shl (local.get $j) (i32.const 2)))))
          (f64.add (f64.promote_f32 (f32.load (i32.add
                     (select (local.get $rowA) (local.get $rowA2) (i32.lt_s (local.get $j) (local.get $h)))
                     (i32.shl (local.get $j) (i32.const 2)))))
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
