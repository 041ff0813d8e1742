;; Pooling: max pooling forward and backward.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

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
