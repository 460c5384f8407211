"""Reference for per-class weights in the token cross-entropy objective (issue #8, class weights for token
classification): test/fixtures/bert-ner/class-weights.json.

torch's CrossEntropyLoss(weight=w, ignore_index=-100) with mean reduction, on the bert-ner fixture's logits for a
padded batch of two texts (labels -100 on [CLS], [SEP], padding and a non-first word piece):
    loss = sum_i w[y_i] * CE_i / sum_i w[y_i]   over the tokens whose label is not -100,
and its gradients with respect to a few initializers, from torch autograd over /work/shared/tools/onnx_torch.py
(an independent path from ONNX Runtime and from BERT Lens's backward graph). The unweighted loss is written too.

Run (reference values only, never in CI):
    /usr/bin/python3 scripts/make-class-weight-ref.py
"""
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, '/work/shared/tools')
from onnx_torch import run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, 'test', 'fixtures', 'bert-ner')

m = onnx.load(os.path.join(FIX, 'onnx', 'model.onnx'))
ref = json.load(open(os.path.join(FIX, 'reference.json')))
a, b = ref['cases'][0]['input_ids'], ref['cases'][1]['input_ids']
L = max(len(a), len(b))
ids = [a + [0] * (L - len(a)), b + [0] * (L - len(b))]
mask = [[1] * len(a) + [0] * (L - len(a)), [1] * len(b)]
# Labels: -100 on specials, padding and position 3 of the second text (as if a non-first word piece).
la = [-100, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0, -100] + [-100] * (L - len(a))
lb = [-100, 3, 4, -100, 4, 0, 0, 0, 0, 0, 5, 6, 6, 0, -100]
labels = [la, lb]
w = [0.25, 1.5, 2.0, 0.75, 1.25, 3.0, 0.5, 1.0, 4.0]

feeds = {
    'input_ids': torch.tensor(ids, dtype=torch.int64),
    'attention_mask': torch.tensor(mask, dtype=torch.int64),
    'token_type_ids': torch.zeros(2, L, dtype=torch.int64),
}
vals, params = run(m, feeds, grad_inits=True)
logits = vals['logits']
k = logits.shape[-1]
y = torch.tensor(labels, dtype=torch.int64)
loss = torch.nn.CrossEntropyLoss(weight=torch.tensor(w, dtype=torch.float32), ignore_index=-100)(
    logits.reshape(-1, k), y.reshape(-1))
plain = torch.nn.CrossEntropyLoss(ignore_index=-100)(logits.reshape(-1, k), y.reshape(-1))
loss.backward()

rng = np.random.default_rng(8)
want = ['m.classifier.bias', 'm.bert.embeddings.LayerNorm.weight', 'm.bert.encoder.layer.1.output.dense.bias']
mats = sorted(n for n, p in params.items() if p.grad is not None and p.dim() == 2 and n.startswith('onnx::MatMul'))
want += mats[-1:]  # the classifier's weight (the last MatMul of the graph)
want.append('m.bert.embeddings.word_embeddings.weight')
grads = {}
for name in want:
    g = params[name].grad.detach().reshape(-1).double().numpy()
    if name.endswith('word_embeddings.weight'):
        d = params[name].shape[1]
        idx = sorted({int(t) * d + j for t in set(a + b) for j in (0, 7, 15)})
    else:
        idx = sorted(set(range(min(16, g.size))) | {int(i) for i in rng.integers(0, g.size, size=min(8, g.size))})
    grads[name] = {'shape': list(params[name].shape), 'l2': float(np.sqrt((g ** 2).sum())),
                   'sample': [[i, float(g[i])] for i in idx]}

out = {
    'note': 'CrossEntropyLoss(weight=class_weights, ignore_index=-100), mean reduction; made by '
            'scripts/make-class-weight-ref.py with torch ' + torch.__version__ + ' over onnx_torch.py',
    'input_ids': ids, 'attention_mask': mask, 'labels': labels, 'class_weights': w,
    'loss': float(loss), 'loss_unweighted': float(plain), 'gradients': grads,
}
json.dump(out, open(os.path.join(FIX, 'class-weights.json'), 'w'), indent=1)
print('loss', float(loss), 'unweighted', float(plain), 'grads', list(grads))
