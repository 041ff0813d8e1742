// New Model File: asks for a name, writes a working, commented model (the digits MLP) into the
// workspace folder and opens it. Never overwrites an existing file without asking.
// The template and the name rules are src/editor/scaffoldTemplate.ts (pure, unit-tested there).

import * as vscode from 'vscode';
import { writeFileAtomic } from '../export/atomicWrite';
import { modelFileName, modelFileTemplate, validateModelName } from '../editor/scaffoldTemplate';

export async function newModelFile(): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('Gradient Lens: open a folder first; the new model file is created in it.');
    return undefined;
  }
  const name = await vscode.window.showInputBox({
    title: 'Gradient Lens: New Model File',
    prompt: `A name for the model; the file is ${folder.name}/<name>.gradlens.json`,
    value: 'digits',
    validateInput: (input) => validateModelName(input),
  });
  if (name === undefined) return undefined;
  const uri = vscode.Uri.joinPath(folder.uri, modelFileName(name));
  const exists = await vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );
  if (exists) {
    const replace = 'Replace';
    const choice = await vscode.window.showWarningMessage(
      `${vscode.workspace.asRelativePath(uri)} already exists. Replace it with a new model?`,
      { modal: true },
      replace,
    );
    if (choice !== replace) return undefined;
  }
  // Replaced atomically when it already exists (temp file, then rename): a crash never leaves half a model.
  if (uri.scheme === 'file') await writeFileAtomic(uri.fsPath, modelFileTemplate(name));
  else await vscode.workspace.fs.writeFile(uri, Buffer.from(modelFileTemplate(name), 'utf8'));
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri;
}
