import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttackName } from '../../engine/attacks/autoattack';
import type { AutoAttackVersion } from '../../engine/attacks/version-names';
import { rememberedVersion, VERSION_ATTACKS, VERSION_KEY, VERSION_TEXT, versionOrder } from './autoattack-choice';
import { defaultEps, parseEps, QUICK_ATTACKS } from './run-request';
import type { RunSettings } from './run-settings';
import type { TrainedWeights } from './trained-weights';

/** What a run needs that has no good default; the rest is the CLI's defaults and the settings. */
export interface Picked {
  readonly data: string;
  readonly eps: number;
  readonly attacks: readonly AttackName[];
  /** AutoAttack's version, when the person picked one (it fixes the attacks). */
  readonly version?: AutoAttackVersion;
  /** A training run folder whose weights to attack; absent: the model's random initial weights. */
  readonly weights?: string;
  /** Train this many epochs first, then attack the weights that training saves. */
  readonly trainFirst?: { readonly epochs: number };
}

/** The attacks picked: a list, or AutoAttack's version and the list it runs. */
export interface AttackChoice {
  readonly attacks: readonly AttackName[];
  readonly version?: AutoAttackVersion;
}

/** "Train briefly first": a few epochs, enough for figures that describe a trained model. */
export const BRIEF_EPOCHS = 2;

type Item<T> = vscode.QuickPickItem & { readonly value: T };

async function pickOne<T>(title: string, items: readonly Item<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, {
    title,
    ignoreFocusOut: true,
    placeHolder: 'Enter keeps the first (the default)',
  });
  return chosen?.value;
}

export async function pickData(
  title: string,
  settings: RunSettings,
  workspace: string,
  trainedOn?: string,
): Promise<string | undefined> {
  // The data the weights were trained on comes first, then the setting's, then the bundled digits.
  const first = trainedOn ?? (settings.data === 'mnist' ? undefined : path.resolve(workspace, settings.data));
  const items: Item<string | 'browse'>[] = [
    ...(first && first !== 'mnist'
      ? [
          {
            label: `$(gear) ${path.basename(first)}`,
            description: trainedOn ? 'the training data' : 'robustnessLens.run.data',
            detail: first,
            value: first,
          },
        ]
      : []),
    { label: '$(database) Bundled MNIST', description: '10,000 real digits, no download', value: 'mnist' },
    {
      label: '$(folder-opened) A data folder...',
      description: 'MNIST IDX files, CIFAR-10/100 binary batches, or one sub-folder of images per class',
      value: 'browse',
    },
  ];
  const value = await pickOne(title, items);
  if (value !== 'browse') return value;
  const folder = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(workspace),
    openLabel: 'Use this data',
  });
  return folder?.[0]?.fsPath;
}

export async function pickEps(title: string, settings: RunSettings, data: string): Promise<number | undefined> {
  const fallback = settings.eps || (defaultEps(data) === 0.3 ? '0.3' : '8/255');
  const text = await vscode.window.showInputBox({
    title,
    value: fallback,
    prompt: 'Perturbation radius in [0,1] pixel units (Linf): 0.3 is the MNIST protocol, 8/255 the CIFAR one',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const parsed = parseEps(v);
      return parsed.ok ? undefined : parsed.error;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseEps(text);
  return parsed.ok ? parsed.value : undefined;
}

/** The attacks, or an AutoAttack version; the version picked last in this workspace comes first. */
export async function pickAttacks(title: string, state?: vscode.Memento): Promise<AttackChoice | undefined> {
  const versions = versionOrder(rememberedVersion(state?.get(VERSION_KEY)));
  const chosen = await pickOne<AttackChoice>(title, [
    ...versions.map((version) => ({
      label: `$(shield) AutoAttack (${version})`,
      ...VERSION_TEXT[version],
      value: { attacks: VERSION_ATTACKS[version], version },
    })),
    {
      label: '$(zap) Quick: FGSM and PGD-20',
      description: QUICK_ATTACKS.join(', '),
      detail: 'Minutes instead of hours; an upper bound on robustness, not a result to publish',
      value: { attacks: QUICK_ATTACKS },
    },
  ]);
  if (chosen?.version) await state?.update(VERSION_KEY, chosen.version);
  return chosen;
}

const pct = (x: number | undefined): string => (x === undefined ? '?' : `${(100 * x).toFixed(1)}%`);

type WeightsChoice = TrainedWeights | 'random' | 'train';

/**
 * The newest trained weights are the default; a model with none is offered a brief training
 * first (an evaluation of random weights describes no model anyone would use).
 */
async function pickWeights(
  title: string,
  trained: readonly TrainedWeights[],
  epochs: number,
): Promise<WeightsChoice | undefined> {
  const brief = Math.min(BRIEF_EPOCHS, epochs);
  const train: Item<WeightsChoice> = {
    label: '$(rocket) Train briefly first',
    description: `${brief} epoch${brief === 1 ? '' : 's'} of adversarial training, then evaluate its weights`,
    detail: 'You can change the number of epochs next',
    value: 'train',
  };
  return pickOne<WeightsChoice>(title, [
    ...(trained.length === 0 ? [train] : []),
    ...trained.map((t, i) => ({
      label: `${i === 0 ? '$(star-full) ' : ''}Weights of ${t.runId}`,
      description:
        `${t.epochs} epoch${t.epochs === 1 ? '' : 's'}` +
        (t.cleanAccuracy !== undefined ? `, clean ${pct(t.cleanAccuracy)}, PGD ${pct(t.pgdAccuracy)}` : ''),
      value: t,
    })),
    {
      label: '$(debug-restart) Random initial weights',
      description: 'the untrained model (its figures say so)',
      value: 'random' as const,
    },
  ]);
}

async function pickBriefEpochs(title: string, epochs: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value: String(Math.min(BRIEF_EPOCHS, epochs)),
    prompt: `Epochs of adversarial training before the evaluation (robustnessLens.train.epochs is ${epochs})`,
    ignoreFocusOut: true,
    validateInput: (v) => (/^\s*[1-9]\d{0,3}\s*$/.test(v) ? undefined : 'A whole number of epochs, 1 to 9999'),
  });
  return text === undefined ? undefined : Number(text.trim());
}

export async function pickEvaluation(
  settings: RunSettings,
  workspace: string,
  trained: readonly TrainedWeights[] = [],
  state?: vscode.Memento,
): Promise<Picked | undefined> {
  const step = (n: number, what: string): string => `Evaluate robustness (${n + 1}/4): ${what}`;
  const weights = await pickWeights('Evaluate robustness (1/4): weights', trained, settings.trainEpochs);
  if (!weights) return undefined;
  const trainFirst =
    weights === 'train' ? await pickBriefEpochs('Train briefly first: epochs', settings.trainEpochs) : undefined;
  if (weights === 'train' && trainFirst === undefined) return undefined;
  const chosen = weights === 'random' || weights === 'train' ? undefined : weights;
  const data = await pickData(step(1, 'data set'), settings, workspace, chosen?.data);
  if (!data) return undefined;
  const eps = await pickEps(step(2, 'epsilon'), settings, data);
  if (eps === undefined) return undefined;
  const attacks = await pickAttacks(step(3, 'attacks'), state);
  if (!attacks) return undefined;
  const first = trainFirst ? { trainFirst: { epochs: trainFirst } } : {};
  return { data, eps, ...attacks, ...(chosen ? { weights: chosen.runDir } : {}), ...first };
}

export async function pickTraining(
  settings: RunSettings,
  workspace: string,
): Promise<Omit<Picked, 'attacks'> | undefined> {
  const data = await pickData('Train adversarially (1/2): data set', settings, workspace);
  if (!data) return undefined;
  const eps = await pickEps('Train adversarially (2/2): epsilon', settings, data);
  return eps === undefined ? undefined : { data, eps };
}
