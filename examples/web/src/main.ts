/**
 * The page: backend choice (`?backend=`), the model (embedded default, URL, files, IndexedDB),
 * Classify (file input, drag-and-drop, paste, webcam) and Teach (named classes, fine-tuning in a
 * worker with a live chart, cancel), save and load. Every failure is shown on the page.
 */
import './style.css';
import * as tf from '@tensorflow/tfjs-core';
import { decodeBlob, decodeDrawable, type DecodedImage } from '@bit/data';
import type { TopClass } from '@bit/models';
import { requestedBackend, useBackend, wasmPaths, type BackendName } from './backend';
import {
  classifyImage,
  download,
  downloadTfjs,
  loadEmbedded,
  loadFromFiles,
  loadFromIndexedDb,
  loadFromUrl,
  loadTrained,
  npzBytes,
  parseLabels,
  saveToIndexedDb,
  type AppModel,
} from './model';
import { startTeach, type TeachRun } from './teach/client';
import type { TeachImage, TeachMode } from './teach/protocol';
import { TrainingChart } from './ui/chart';
import { bindErrors, catchUncaught, guarded, showError, showNotice } from './ui/errors';

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (el === null) throw new Error(`page is missing data-testid="${id}"`);
  return el;
}

const params = new URLSearchParams(location.search);
const useWorker = params.get('worker') !== '0';

let active: AppModel | null = null;
/** Model work (classify, swaps) runs one at a time. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

// ---------------------------------------------------------------- model

function showModel(): void {
  byTestId('model-name').textContent = active?.source ?? 'none';
  const labels = active?.labels;
  byTestId('model-status').textContent =
    active === null
      ? 'no model'
      : `${active.resolution} px · ${labels ? `${labels.length} classes` : 'no class names'}`;
}

/** Replaces the active model (the old one is disposed). */
function setModel(loader: () => Promise<AppModel>, what: string): Promise<boolean> {
  byTestId('model-status').textContent = 'loading…';
  return guarded(what, () =>
    serial(async () => {
      const next = await loader();
      active?.model.dispose();
      active = next;
    }),
  ).finally(showModel);
}

// ---------------------------------------------------------------- classify

function renderPredictions(top: readonly TopClass[]): void {
  const list = byTestId('predictions');
  list.replaceChildren(
    ...top.map((t) => {
      const li = document.createElement('li');
      const name = t.label ?? `class ${t.index}`;
      li.dataset.label = name;
      li.dataset.score = String(t.score);
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = name;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = ` ${(t.score * 100).toFixed(1)}%`;
      li.append(label, score);
      return li;
    }),
  );
}

function classify(decode: () => Promise<DecodedImage> | DecodedImage, what: string) {
  const list = byTestId('predictions');
  list.replaceChildren();
  list.dataset.state = 'busy';
  return guarded(what, () =>
    serial(async () => {
      if (active === null) throw new Error('no model is loaded');
      renderPredictions(await classifyImage(active, await decode()));
    }),
  ).finally(() => (list.dataset.state = 'idle'));
}

function classifyBlob(blob: Blob, name: string): Promise<boolean> {
  const preview = byTestId<HTMLImageElement>('preview');
  if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
  byTestId('webcam').hidden = true;
  return classify(() => decodeBlob(blob, name), `classify ${name}`);
}

function setUpClassify(): void {
  const input = byTestId<HTMLInputElement>('image-input');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) void classifyBlob(file, file.name);
  });
  const zone = byTestId('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file === undefined) showError('drop', new Error('nothing droppable: drop an image file'));
    else void classifyBlob(file, file.name);
  });
  document.addEventListener('paste', (e) => {
    const target = e.target as HTMLElement | null;
    if (target?.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'file') return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
    const file = item?.getAsFile();
    if (file) void classifyBlob(file, 'pasted image');
  });
}

// ---------------------------------------------------------------- webcam

let stream: MediaStream | null = null;

async function startWebcam(): Promise<HTMLVideoElement> {
  const video = byTestId<HTMLVideoElement>('webcam');
  if (stream === null) {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser has no webcam API');
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    video.srcObject = stream;
    await video.play();
  }
  video.hidden = false;
  byTestId('preview').hidden = true;
  byTestId<HTMLButtonElement>('webcam-classify').disabled = false;
  return video;
}

/** The current webcam frame as a PNG Blob (for Teach). */
async function webcamFrameBlob(): Promise<Blob> {
  const video = await startWebcam();
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')?.drawImage(video, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('could not capture a frame'))),
      'image/png',
    ),
  );
}

function setUpWebcam(): void {
  byTestId('webcam-start').addEventListener(
    'click',
    () => void guarded('webcam', async () => void (await startWebcam())),
  );
  const classifyFrame = () =>
    classify(async () => decodeDrawable(await startWebcam()), 'classify the webcam frame');
  byTestId('webcam-classify').addEventListener('click', () => void classifyFrame());
  const live = byTestId<HTMLInputElement>('webcam-live');
  live.addEventListener('change', () => {
    const loop = async () => {
      if (!live.checked) return;
      if (!(await classifyFrame())) live.checked = false;
      else setTimeout(loop, 200);
    };
    void loop();
  });
}

// ---------------------------------------------------------------- teach

interface TeachClass {
  readonly root: HTMLElement;
  readonly name: HTMLInputElement;
  readonly images: Blob[];
}

const classes: TeachClass[] = [];
let run: TeachRun | null = null;
let chart: TrainingChart;

function renumberClasses(): void {
  classes.forEach((c, i) => {
    c.name.dataset.testid = `teach-name-${i}`;
    c.root.querySelector<HTMLElement>('[data-role=files]')!.dataset.testid = `teach-files-${i}`;
    c.root.querySelector<HTMLElement>('[data-role=capture]')!.dataset.testid = `teach-capture-${i}`;
    c.root.querySelector<HTMLElement>('[data-role=count]')!.dataset.testid = `teach-count-${i}`;
  });
}

function addClass(defaultName: string): void {
  const root = document.createElement('div');
  root.className = 'teach-class row';
  const name = document.createElement('input');
  name.type = 'text';
  name.value = defaultName;
  name.placeholder = 'class name';
  const files = document.createElement('input');
  files.type = 'file';
  files.multiple = true;
  files.accept = 'image/*';
  files.dataset.role = 'files';
  const capture = document.createElement('button');
  capture.type = 'button';
  capture.textContent = 'Add webcam frame';
  capture.dataset.role = 'capture';
  const count = document.createElement('span');
  count.dataset.role = 'count';
  count.textContent = '0 images';
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.textContent = 'Clear';
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.textContent = 'Remove class';
  const thumbs = document.createElement('div');
  thumbs.className = 'thumbs';
  root.append(name, files, capture, count, clear, remove, thumbs);
  const entry: TeachClass = { root, name, images: [] };

  const add = (blobs: Blob[]) => {
    for (const blob of blobs) {
      entry.images.push(blob);
      const img = document.createElement('img');
      img.src = URL.createObjectURL(blob);
      img.alt = '';
      thumbs.append(img);
    }
    count.textContent = `${entry.images.length} images`;
  };
  files.addEventListener('change', () => {
    add([...(files.files ?? [])]);
    files.value = '';
  });
  capture.addEventListener(
    'click',
    () => void guarded('capture a webcam frame', async () => add([await webcamFrameBlob()])),
  );
  clear.addEventListener('click', () => {
    entry.images.length = 0;
    thumbs.querySelectorAll('img').forEach((img) => URL.revokeObjectURL(img.src));
    thumbs.replaceChildren();
    count.textContent = '0 images';
  });
  remove.addEventListener('click', () => {
    if (classes.length <= 2) {
      showError('remove class', new Error('Teach needs at least two classes'));
      return;
    }
    classes.splice(classes.indexOf(entry), 1);
    root.remove();
    renumberClasses();
  });
  classes.push(entry);
  byTestId('teach-classes').append(root);
  renumberClasses();
}

function numberField(id: string, min: number, integer: boolean): number {
  const input = byTestId<HTMLInputElement>(id);
  const value = Number(input.value);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(
      `${id.replace('teach-', '')} must be ${integer ? 'an integer ' : 'a number '}>= ${min}`,
    );
  }
  return value;
}

function setStatus(text: string): void {
  byTestId('teach-status').textContent = text;
}

async function train(): Promise<void> {
  if (run !== null) throw new Error('a training run is already going');
  if (active === null) throw new Error('no model is loaded to start from');
  const names = classes.map((c) => c.name.value.trim());
  if (names.some((n) => n === '')) throw new Error('every class needs a name');
  if (new Set(names).size !== names.length) throw new Error('class names must differ');
  const empty = classes.findIndex((c) => c.images.length === 0);
  if (empty >= 0) throw new Error(`class '${names[empty]}' has no images`);
  const steps = numberField('teach-steps', 5, true);
  const batchSize = numberField('teach-batch', 1, true);
  const baseLr = numberField('teach-lr', 0, false);
  const seed = numberField('teach-seed', 0, true);
  const mode = byTestId<HTMLSelectElement>('teach-mode').value as TeachMode;
  const images: TeachImage[] = classes.flatMap((c, label) =>
    c.images.map((blob, i) => ({ blob, label, name: `${names[label]}/${i}` })),
  );
  const start = active;
  const npz = await serial(() => npzBytes(start.model));

  const progress = byTestId<HTMLProgressElement>('teach-progress');
  const detail = byTestId('teach-detail');
  const cancel = byTestId<HTMLButtonElement>('teach-cancel');
  const trainButton = byTestId<HTMLButtonElement>('teach-train');
  progress.max = steps;
  progress.value = 0;
  chart.reset(steps);
  setStatus('starting');
  detail.textContent = '';
  trainButton.disabled = true;
  cancel.disabled = false;
  const began = performance.now();
  let lastLoss = NaN;
  let lastAccuracy = NaN;
  run = startTeach(
    {
      backend: tf.getBackend(),
      wasmPaths: wasmPaths(),
      npz: npz.buffer.slice(npz.byteOffset, npz.byteOffset + npz.byteLength) as ArrayBuffer,
      classes: names,
      images,
      mode,
      steps,
      batchSize,
      baseLr,
      seed,
      crop: start.resolution,
    },
    (event) => {
      if (event.type === 'started') {
        setStatus('training');
        const p = event.plan;
        detail.dataset.schedule = p.schedule.join(',');
        detail.textContent = `${mode === 'head' ? 'head only' : 'full'} on ${event.backend}: HyperRule schedule ${p.officialSchedule.join('/')} scaled to ${p.schedule.join('/')}, batch ${p.batchSize}, base lr ${p.baseLr}, MixUp ${p.mixupAlpha}, ${p.precrop}→${p.crop} px`;
      } else if (event.type === 'step') {
        lastLoss = event.loss;
        progress.value = event.step + 1;
        chart.addLoss(event.step + 1, event.loss);
        setStatus(`training: step ${event.step + 1}/${steps}`);
        byTestId('teach-status').dataset.loss = String(event.loss);
      } else if (event.type === 'eval') {
        lastAccuracy = event.accuracy;
        chart.addAccuracy(event.step, event.accuracy);
      } else if (event.type === 'warning') {
        showNotice(`Teach: ${event.message}`);
      }
    },
    { worker: useWorker },
  );
  cancel.onclick = () => {
    setStatus('cancelling');
    run?.cancel();
  };
  try {
    const done = await run.finished;
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const summary = `${done.step} steps in ${seconds} s${run.inWorker ? ' (in a worker)' : ''}, last loss ${lastLoss.toFixed(3)}, accuracy on the taught images ${(lastAccuracy * 100).toFixed(0)}%`;
    if (done.status === 'aborted') {
      setStatus('cancelled');
      detail.textContent = `cancelled after ${summary}; the model is unchanged`;
      return;
    }
    await setModel(() => loadTrained(done.npz, done.classes, done.crop), 'load the taught model');
    detail.textContent = `${summary}. Classify now uses the taught model.`;
    setStatus('done');
  } catch (error) {
    setStatus('failed');
    throw error;
  } finally {
    run = null;
    trainButton.disabled = false;
    cancel.disabled = true;
  }
}

function setUpTeach(): void {
  chart = new TrainingChart(byTestId<HTMLCanvasElement>('teach-chart'));
  addClass('class A');
  addClass('class B');
  byTestId('teach-add-class').addEventListener('click', () =>
    addClass(`class ${String.fromCharCode(65 + classes.length)}`),
  );
  byTestId('teach-train').addEventListener('click', () => void guarded('Teach', train));
}

// ---------------------------------------------------------------- save / load

function fileStem(): string {
  return (active?.source ?? 'bit-model').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.npz$/, '');
}

function setUpModelSection(): void {
  const status = byTestId('save-status');
  const labels = () => parseLabels(byTestId<HTMLInputElement>('model-labels').value);
  const need = () => {
    if (active === null) throw new Error('no model is loaded');
    return active;
  };
  byTestId('save-npz').addEventListener(
    'click',
    () =>
      void guarded('download .npz', async () => {
        const bytes = await serial(() => npzBytes(need().model));
        download(bytes, `${fileStem()}.npz`, 'application/octet-stream');
        status.textContent = `downloaded ${fileStem()}.npz (${(bytes.byteLength / 1e6).toFixed(1)} MB)`;
      }),
  );
  byTestId('save-tfjs').addEventListener(
    'click',
    () =>
      void guarded('download TF.js', async () => {
        await serial(() => downloadTfjs(need().model, fileStem()));
        status.textContent = `downloaded ${fileStem()}.json + weights`;
      }),
  );
  byTestId('save-idb').addEventListener(
    'click',
    () =>
      void guarded('save to IndexedDB', async () => {
        await serial(() => saveToIndexedDb(need().model));
        status.textContent = 'saved to IndexedDB';
      }),
  );
  byTestId('load-idb').addEventListener(
    'click',
    () => void setModel(loadFromIndexedDb, 'load from IndexedDB'),
  );
  byTestId('model-default').addEventListener(
    'click',
    () => void setModel(loadEmbedded, 'load the default model'),
  );
  byTestId('model-load').addEventListener('click', () => {
    const url = byTestId<HTMLInputElement>('model-url').value.trim();
    if (url === '') showError('load model', new Error('enter a model URL first'));
    else void setModel(() => loadFromUrl(url, labels()), `load ${url}`);
  });
  const files = byTestId<HTMLInputElement>('model-files');
  files.addEventListener('change', () => {
    const picked = [...(files.files ?? [])];
    files.value = '';
    if (picked.length > 0) void setModel(() => loadFromFiles(picked, labels()), 'load model files');
  });
}

// ---------------------------------------------------------------- start

declare global {
  interface Window {
    /** For automation and debugging. */
    bitApp: { numTensors(): number; backend(): string; ready: Promise<void> };
  }
}

async function start(): Promise<void> {
  let wanted: BackendName | null = null;
  try {
    wanted = requestedBackend(location.search);
  } catch (error) {
    showError('backend', error);
  }
  const choice = await useBackend(wanted, wasmPaths());
  byTestId('backend').textContent = choice.name;
  if (wanted !== null && choice.name !== wanted) {
    showNotice(
      `backend ${wanted} is not available here, using ${choice.name} (${choice.fallbacks.join('; ')})`,
    );
  }
  await setModel(loadEmbedded, 'load the default model');
}

bindErrors(byTestId('errors'));
catchUncaught();
setUpClassify();
setUpWebcam();
setUpTeach();
setUpModelSection();
const ready = guarded('start', start).then(() => {
  document.body.dataset.ready = 'true';
});
window.bitApp = { numTensors: () => tf.memory().numTensors, backend: () => tf.getBackend(), ready };
