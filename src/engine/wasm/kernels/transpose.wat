;; Transpose (turns A·Bᵀ into A·B when the 4×8 tile pays off).
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

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
