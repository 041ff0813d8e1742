;; Max pooling with 2×2 windows and stride 2 (the pooling of nearly every small CNN), forward and backward.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).
;;
;; The same rule and the same lane arithmetic as pooling.wat's vector path (the winner is the first
;; maximum of the window, a NaN wins and stays), so the results are bit-identical to it; what differs
;; is the end of each output row. pooling.wat finishes a row whose width is not a multiple of 4 one
;; output at a time (3 of 7 outputs on a 14×14 plane), which costs more than the vector part. Here the
;; last four outputs of a row are computed again as one vector ending at the row's end: the outputs
;; it shares with the previous vector are written twice with the same value (the windows are
;; disjoint, so the backward pass stores rather than accumulates, and storing twice is harmless).
;; Both kernels need outW ≥ 4 (the caller checks).

  ;; In a row pair r0|r1 (8 consecutive floats) the even lanes are columns 2j, the odd ones 2j + 1.
  ;; Forward: best ← v where best is not NaN and !(v <= best): v larger, or v NaN (the first maximum wins).
  ;; Written out inline: V8 does not inline calls between WASM functions, and a call per vector costs more than the vector.

  (func (export "maxpool2_forward")
    (param $planes i32) (param $h i32) (param $w i32) (param $outH i32) (param $outW i32)
    (param $input i32) (param $output i32)
    (local $oy i32) (local $ox i32) (local $row i32) (local $rowBytes i32) (local $planeBytes i32)
    (local $r0 v128) (local $r1 v128) (local $vb v128) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $w) (i32.const 2)))
    (local.set $planeBytes (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2)))
    (block $doneP (loop $plane
      (br_if $doneP (i32.le_s (local.get $planes) (i32.const 0)))
      (local.set $oy (i32.const 0))
      (block $doneY (loop $ys
        (br_if $doneY (i32.ge_s (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $doneX (loop $xs
          ;; the last vector of the row ends at the row's end (it may overlap the previous one)
          (if (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW))
            (then (local.set $ox (i32.sub (local.get $outW) (i32.const 4)))))
          (local.set $row (i32.add (local.get $input)
            (i32.add (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $rowBytes)) (i32.shl (local.get $ox) (i32.const 3)))))
          (local.set $r0 (v128.load (local.get $row)))
          (local.set $r1 (v128.load offset=16 (local.get $row)))
          (local.set $vb (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)))
          (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $vb (v128.bitselect (local.get $v) (local.get $vb)
            (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (local.get $v) (local.get $vb))))))
          (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
          (local.set $r0 (v128.load (local.get $row)))
          (local.set $r1 (v128.load offset=16 (local.get $row)))
          (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1)))
          (local.set $vb (v128.bitselect (local.get $v) (local.get $vb)
            (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (local.get $v) (local.get $vb))))))
          (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $vb (v128.bitselect (local.get $v) (local.get $vb)
            (v128.and (f32x4.eq (local.get $vb) (local.get $vb)) (v128.not (f32x4.le (local.get $v) (local.get $vb))))))
          (v128.store (i32.add (local.get $output) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (i32.const 2)))
            (local.get $vb))
          (br_if $doneX (i32.ge_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $xs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $ys)))
      (local.set $input (i32.add (local.get $input) (local.get $planeBytes)))
      (local.set $output (i32.add (local.get $output) (i32.shl (i32.mul (local.get $outH) (local.get $outW)) (i32.const 2))))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))

  ;; Backward: a candidate v wins where it equals the output t (or both are NaN) and no earlier one did;
  ;; each row's gradients are stored interleaved back to columns 2j (mask m0) and 2j + 1 (mask m1).

  ;; gradIn (overwritten, planes×h×w) gets each output's gradient at its window's winner (found again
  ;; from input and output) and 0 elsewhere. With h and w even every element of gradIn is stored by
  ;; the vector path; otherwise the last row / column is in no window and gradIn is zeroed first.
  (func (export "maxpool2_backward")
    (param $planes i32) (param $h i32) (param $w i32) (param $outH i32) (param $outW i32)
    (param $input i32) (param $output i32) (param $gradOut i32) (param $gradIn i32)
    (local $oy i32) (local $ox i32) (local $offset i32) (local $rowBytes i32) (local $planeBytes i32) (local $at i32)
    (local $r0 v128) (local $r1 v128) (local $t v128) (local $tNaN v128) (local $g v128)
    (local $m0 v128) (local $m1 v128) (local $taken v128) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $w) (i32.const 2)))
    (local.set $planeBytes (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2)))
    (if (i32.and (i32.or (local.get $h) (local.get $w)) (i32.const 1))
      (then (call $zero (local.get $gradIn) (i32.mul (local.get $planes) (i32.mul (local.get $h) (local.get $w))))))
    (block $doneP (loop $plane
      (br_if $doneP (i32.le_s (local.get $planes) (i32.const 0)))
      (local.set $oy (i32.const 0))
      (block $doneY (loop $ys
        (br_if $doneY (i32.ge_s (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $doneX (loop $xs
          (if (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW))
            (then (local.set $ox (i32.sub (local.get $outW) (i32.const 4)))))
          (local.set $at (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (i32.const 2)))
          (local.set $t (v128.load (i32.add (local.get $output) (local.get $at))))
          (local.set $g (v128.load (i32.add (local.get $gradOut) (local.get $at))))
          (local.set $tNaN (f32x4.ne (local.get $t) (local.get $t)))
          (local.set $offset
            (i32.add (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $rowBytes)) (i32.shl (local.get $ox) (i32.const 3))))
          ;; top row: the even column wins where it matches, the odd one where it matches and the even did not
          (local.set $r0 (v128.load (i32.add (local.get $input) (local.get $offset))))
          (local.set $r1 (v128.load offset=16 (i32.add (local.get $input) (local.get $offset))))
          (local.set $m0 (v128.bitselect (f32x4.ne (local.tee $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1))) (local.get $v)) (f32x4.eq (local.get $v) (local.get $t)) (local.get $tNaN)))
          (local.set $m1 (v128.andnot (v128.bitselect (f32x4.ne (local.tee $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1))) (local.get $v)) (f32x4.eq (local.get $v) (local.get $t)) (local.get $tNaN))
            (local.get $m0)))
          (local.set $taken (v128.or (local.get $m0) (local.get $m1)))
          (local.set $at (i32.add (local.get $gradIn) (local.get $offset)))
          (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
            (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
          (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
            (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
          ;; bottom row: only where the top row did not win
          (local.set $offset (i32.add (local.get $offset) (local.get $rowBytes)))
          (local.set $r0 (v128.load (i32.add (local.get $input) (local.get $offset))))
          (local.set $r1 (v128.load offset=16 (i32.add (local.get $input) (local.get $offset))))
          (local.set $m0 (v128.andnot (v128.bitselect (f32x4.ne (local.tee $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $r0) (local.get $r1))) (local.get $v)) (f32x4.eq (local.get $v) (local.get $t)) (local.get $tNaN))
            (local.get $taken)))
          (local.set $taken (v128.or (local.get $taken) (local.get $m0)))
          (local.set $m1 (v128.andnot (v128.bitselect (f32x4.ne (local.tee $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $r0) (local.get $r1))) (local.get $v)) (f32x4.eq (local.get $v) (local.get $t)) (local.get $tNaN))
            (local.get $taken)))
          (local.set $at (i32.add (local.get $gradIn) (local.get $offset)))
          (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
            (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
          (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
            (v128.and (local.get $g) (local.get $m0)) (v128.and (local.get $g) (local.get $m1))))
          (br_if $doneX (i32.ge_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $xs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $ys)))
      (local.set $input (i32.add (local.get $input) (local.get $planeBytes)))
      (local.set $gradIn (i32.add (local.get $gradIn) (local.get $planeBytes)))
      (local.set $output (i32.add (local.get $output) (i32.shl (i32.mul (local.get $outH) (local.get $outW)) (i32.const 2))))
      (local.set $gradOut (i32.add (local.get $gradOut) (i32.shl (i32.mul (local.get $outH) (local.get $outW)) (i32.const 2))))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))
