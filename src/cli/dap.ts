// `gradient-lens dap`: the debug adapter over stdin/stdout, so any DAP client (Neovim's nvim-dap,
// Emacs dap-mode, …) can debug training. Stdout carries the protocol only; nothing else may
// write to it while the session runs.

import { GradientLensDebugSession } from '../debug/session';
import { mediaDir } from './common';

export function runDap(): Promise<number> {
  return new Promise((resolve) => {
    const session = new GradientLensDebugSession({ mediaDir: mediaDir(), defaultWorkspace: () => process.cwd() });
    session.start(process.stdin, process.stdout);
    process.stdin.on('end', () => resolve(0));
  });
}
