// Debugging in VS Code: the `gradient-lens` debugger runs inline in the extension host
// (DebugAdapterInlineImplementation: no extra process, and a web build can do the same), F5 on an
// open model file works without a launch.json, and hovering a layer while stopped shows its values.
//
// The training runs on the host's event loop in slices of about 15 ms (src/debug/run.ts), so the
// host keeps answering between them. A worker would keep even long phases off the host, but then
// every Variables page would have to cross the worker boundary; the example models' phases take
// milliseconds, so slicing is the simpler honest choice.

import * as vscode from 'vscode';
import { parseModel } from '../model';
import { GradientLensDebugSession, MODEL_SUFFIX, type LaunchArguments } from './session';
import type { FollowedRun } from './follow';
import type { Settings } from '../config';
import type { RunSource } from '../run/source';
import type { RunInfo } from '../protocol';

export const DEBUG_TYPE = 'gradient-lens';

const MODEL_SELECTOR: vscode.DocumentSelector = [{ pattern: `**/*${MODEL_SUFFIX}` }];

/** The part of the training session the panel shows its run from. */
export interface PanelRun {
  readonly isActive: boolean;
  startSource(source: RunSource, uri: vscode.Uri | undefined, opts: { paused: boolean; stepOnly: boolean }): Promise<RunInfo>;
}

export function registerDebugging(
  context: vscode.ExtensionContext,
  settings: () => Pick<Settings, 'health' | 'useWasm' | 'engineThreads'>,
  panelRun?: PanelRun,
): void {
  const mediaDir = vscode.Uri.joinPath(context.extensionUri, 'media').fsPath;
  const follow = panelRun ? followInPanel(panelRun) : undefined;
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: () =>
        new vscode.DebugAdapterInlineImplementation(
          new GradientLensDebugSession({ mediaDir, follow }) as unknown as vscode.DebugAdapter,
        ),
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider(settings)),
    vscode.languages.registerEvaluatableExpressionProvider(MODEL_SELECTOR, { provideEvaluatableExpression }),
  );
}

/**
 * The panel shows each debugged run, unless another run (Train) is training there: that one is not
 * replaced behind the user's back. A later debugged run replaces an earlier one.
 */
function followInPanel(panelRun: PanelRun): (source: FollowedRun, model: string) => boolean {
  let last: FollowedRun | null = null;
  return (source, model) => {
    if (panelRun.isActive && !last?.attached) return false;
    last = source;
    panelRun.startSource(source, vscode.Uri.file(model), { paused: false, stepOnly: false }).catch(() => undefined);
    return true;
  };
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly settings: () => Pick<Settings, 'health' | 'useWasm' | 'engineThreads'>) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'launch', name: 'Debug training', model: '${file}', stopOnEntry: false }];
  }

  /** F5 without a launch.json: debug the model file in the active editor. */
  resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc || !doc.uri.path.endsWith(MODEL_SUFFIX)) {
        void vscode.window.showInformationMessage(`Open a model file (*${MODEL_SUFFIX}) to debug its training.`);
        return undefined;
      }
      config = { type: DEBUG_TYPE, request: 'launch', name: 'Debug training', model: '${file}' };
    }
    config.model ??= '${file}';
    const { health, useWasm, engineThreads } = this.settings();
    config.explodingGradNorm ??= health.explodingGradNorm;
    config.vanishingGradNorm ??= health.vanishingGradNorm;
    config.deadReluFraction ??= health.deadReluFraction;
    config.wasm ??= useWasm;
    config.engineThreads ??= engineThreads;
    if (config.workspace === undefined && folder) config.workspace = folder.uri.fsPath;
    return config;
  }

  resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    const args = config as unknown as LaunchArguments;
    if (typeof args.model !== 'string' || !args.model.endsWith(MODEL_SUFFIX)) {
      void vscode.window.showErrorMessage(
        `Gradient Lens debugs model files (*${MODEL_SUFFIX}); "model" is ${JSON.stringify(args.model ?? null)}.`,
      );
      return undefined;
    }
    if (args.workspace === undefined) {
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(args.model));
      if (folder) args.workspace = folder.uri.fsPath;
    }
    return config;
  }
}

/** Hovering a layer while stopped evaluates `layers[L]`; the loss and optimizer lines their scalars. */
function provideEvaluatableExpression(doc: vscode.TextDocument, pos: vscode.Position): vscode.EvaluatableExpression | undefined {
  const offset = doc.offsetAt(pos);
  const parsed = parseModel(doc.getText());
  const L = parsed.layerRanges.findIndex((r) => offset >= r.offset && offset < r.offset + r.length);
  const word = doc.getWordRangeAtPosition(pos) ?? new vscode.Range(pos, pos);
  if (L >= 0) return new vscode.EvaluatableExpression(word, `layers[${L}]`);
  const text = doc.lineAt(pos.line).text;
  if (/^\s*"loss"\s*:/.test(text)) return new vscode.EvaluatableExpression(word, 'loss');
  if (/^\s*"optimizer"\s*:/.test(text)) return new vscode.EvaluatableExpression(word, 'lr');
  return undefined;
}
