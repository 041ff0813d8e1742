// Beside the code: what the model file shows of a run, next to the layers it describes.
//   CodeLens   "Train · Step · Gradient check" above the file
//   decoration at the end of each layer's first line: its gradient norm and update ratio
//   hover      a layer's latest statistics with a sentence each
//   diagnostics exploding/vanishing gradients, dead ReLUs, NaN/Inf, on that layer's line
// Everything reads the session's (throttled) snapshot; nothing here drives training.

import * as vscode from 'vscode';
import type { LayerPoint } from '../protocol';
import type { SessionObservable } from '../session/observable';
import { Commands } from '../session/observable';
import { ModelDocuments, MODEL_DOCUMENT_SELECTOR, isModelDocument, sameUri } from './modelDocuments';
import { rangeOf, DIAGNOSTIC_SOURCE } from './diagnostics';
import { layerDecorationText } from './format';
import { assessHealth, findingsKey, DEFAULT_THRESHOLDS, type HealthThresholds } from './health';
import { layerHoverMarkdown, parameterFreeLayerMarkdown } from './hoverContent';

export function registerBesideTheCode(
  session: SessionObservable,
  documents: ModelDocuments,
  thresholds: () => HealthThresholds = () => DEFAULT_THRESHOLDS,
  /** Fires when the thresholds may have changed (settings). */
  thresholdsChanged?: vscode.Event<unknown>,
): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  const lens = new TrainLens(changed.event);
  const decorations = new LayerDecorations(session, documents, thresholds);
  const health = new HealthDiagnostics(session, documents, thresholds);
  return [
    changed,
    vscode.languages.registerCodeLensProvider(MODEL_DOCUMENT_SELECTOR, lens),
    vscode.languages.registerHoverProvider(MODEL_DOCUMENT_SELECTOR, new LayerHover(session, documents)),
    decorations,
    health,
    session.onDidChange(() => {
      decorations.refresh();
      health.refresh();
    }),
    vscode.window.onDidChangeVisibleTextEditors(() => decorations.refresh()),
    ...(thresholdsChanged
      ? [
          thresholdsChanged(() => {
            decorations.refresh();
            health.refresh();
          }),
        ]
      : []),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (isModelDocument(e.document)) decorations.refresh();
    }),
  ];
}

/** The three actions at the top of a model file. */
class TrainLens implements vscode.CodeLensProvider {
  constructor(readonly onDidChangeCodeLenses: vscode.Event<void>) {}

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    // Above the model object's opening brace (after any leading comments).
    const text = doc.getText();
    const brace = text.search(/^\s*\{/m);
    const line = brace >= 0 ? doc.positionAt(brace + text.slice(brace).indexOf('{')).line : 0;
    const range = new vscode.Range(line, 0, line, 0);
    return [
      new vscode.CodeLens(range, {
        title: '$(play) Train',
        command: Commands.train,
        arguments: [doc.uri],
        tooltip: 'Train this model and show its gradients',
      }),
      new vscode.CodeLens(range, {
        title: '$(debug-step-over) Step',
        command: Commands.step,
        arguments: [doc.uri],
        tooltip: 'Run one batch: forward, back-propagate each example, one update',
      }),
      new vscode.CodeLens(range, {
        title: '$(check-all) Gradient check',
        command: Commands.gradientCheck,
        arguments: [doc.uri],
        tooltip: "Compare every layer's gradients with finite differences (float64)",
      }),
    ];
  }
}

/** The layer points of the newest step, by layer index. */
function latestLayers(session: SessionObservable): Map<number, LayerPoint> {
  const last = session.snapshot.history[session.snapshot.history.length - 1];
  return new Map((last?.layers ?? []).map((l) => [l.layer, l]));
}

class LayerDecorations implements vscode.Disposable {
  private readonly normal = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly unhealthy = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorWarning.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });

  constructor(
    private readonly session: SessionObservable,
    private readonly documents: ModelDocuments,
    private readonly thresholds: () => HealthThresholds,
  ) {}

  refresh(): void {
    const layers = latestLayers(this.session);
    const findings = new Set(
      assessHealth([...layers.values()], this.session.snapshot.status.nonFinite, this.thresholds()).map((f) => f.layer),
    );
    for (const editor of vscode.window.visibleTextEditors) {
      if (!isModelDocument(editor.document)) continue;
      const mine = sameUri(editor.document.uri, this.session.modelUri);
      const normal: vscode.DecorationOptions[] = [];
      const bad: vscode.DecorationOptions[] = [];
      if (mine) {
        const parsed = this.documents.parse(editor.document);
        parsed.layerLineRanges.forEach((r, i) => {
          const point = layers.get(i);
          if (!point) return;
          const end = editor.document.positionAt(r.offset + r.length);
          const line = editor.document.lineAt(end.line).range.end;
          const option = {
            range: new vscode.Range(line, line),
            renderOptions: { after: { contentText: layerDecorationText(point) } },
          };
          (findings.has(i) ? bad : normal).push(option);
        });
      }
      editor.setDecorations(this.normal, normal);
      editor.setDecorations(this.unhealthy, bad);
    }
  }

  dispose(): void {
    this.normal.dispose();
    this.unhealthy.dispose();
  }
}

class LayerHover implements vscode.HoverProvider {
  constructor(
    private readonly session: SessionObservable,
    private readonly documents: ModelDocuments,
  ) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!sameUri(doc.uri, this.session.modelUri)) return undefined;
    const offset = doc.offsetAt(position);
    const parsed = this.documents.parse(doc);
    const layer = parsed.layerRanges.findIndex((r) => offset >= r.offset && offset <= r.offset + r.length);
    if (layer < 0) return undefined;
    const snap = this.session.snapshot;
    const info = snap.run?.layers.find((l) => l.index === layer);
    const point = latestLayers(this.session).get(layer);
    const md = point
      ? layerHoverMarkdown({
          point,
          info,
          step: snap.status.step,
          epoch: snap.status.epoch,
          openPanelCommand: Commands.openPanel,
        })
      : parameterFreeLayerMarkdown(layer, info);
    const content = new vscode.MarkdownString(md);
    content.isTrusted = { enabledCommands: [Commands.openPanel] };
    content.supportThemeIcons = true;
    const r = parsed.layerRanges[layer];
    return new vscode.Hover(content, rangeOf(doc, r.offset, r.length));
  }
}

/** Training-health problems on the layers' lines, kept apart from the file's parse problems. */
class HealthDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('gradient-lens-health');
  private lastKey = '';

  constructor(
    private readonly session: SessionObservable,
    private readonly documents: ModelDocuments,
    private readonly thresholds: () => HealthThresholds,
  ) {}

  refresh(): void {
    const uri = this.session.modelUri;
    const findings = assessHealth(
      [...latestLayers(this.session).values()],
      this.session.snapshot.status.nonFinite,
      this.thresholds(),
    );
    const key = `${uri?.toString()}|${findingsKey(findings)}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.collection.clear();
    if (!uri) return;
    const doc = this.documents.openDocument(uri);
    if (!doc) return;
    const parsed = this.documents.parse(doc);
    this.collection.set(
      uri,
      findings.map((f) => {
        const r = f.layer >= 0 ? parsed.layerLineRanges[f.layer] : undefined;
        const range = r ? rangeOf(doc, r.offset, r.length) : new vscode.Range(0, 0, 0, 1);
        const d = new vscode.Diagnostic(
          range,
          f.message,
          f.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = DIAGNOSTIC_SOURCE;
        d.code = f.kind;
        return d;
      }),
    );
  }

  dispose(): void {
    this.collection.dispose();
  }
}
