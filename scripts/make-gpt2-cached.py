"""Builds test/fixtures/gpt2-clm-cached: the gpt2-clm fixture's weights re-exported with a key/value cache, in
the layout of hub decoder exports (onnx/decoder_model_merged.onnx; inputs input_ids, attention_mask,
position_ids, past_key_values.N.key/value, use_cache_branch; outputs logits, present.N.key/value).

GPT-2 is written out here in plain torch from the fixture ONNX's initializers (an independent path from the
TorchScript export that made gpt2-clm), checked against gpt2-clm/reference.json, then exported with the
TorchScript exporter. `use_cache_branch` is a real graph input, but unlike optimum's merged decoders (an If
node with two sub-graphs) this graph has one path: concatenating a zero-length past is the no-cache branch.

Run (reference values only, never in CI): /usr/bin/python3 scripts/make-gpt2-cached.py
"""
import json
import math
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, 'test', 'fixtures', 'gpt2-clm')
DST = os.path.join(ROOT, 'test', 'fixtures', 'gpt2-clm-cached')

g = onnx.load(os.path.join(SRC, 'onnx', 'model.onnx')).graph
W = {i.name: torch.tensor(numpy_helper.to_array(i)) for i in g.initializer}
for n in g.node:  # exporters merge equal initializers and alias them through Identity nodes
    if n.op_type == 'Identity' and n.input[0] in W:
        W[n.output[0]] = W[n.input[0]]
lm_head = [n for n in g.node if n.op_type == 'MatMul' and n.output[0] == 'logits'][0].input[1]
cfg = json.load(open(os.path.join(SRC, 'config.json')))
L, H, D = cfg['n_layer'], cfg['n_head'], cfg['n_embd']
HD = D // H
EPS = cfg['layer_norm_epsilon']


def ln(x, w, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2WithPast(torch.nn.Module):
    def forward(self, input_ids, attention_mask, position_ids, use_cache_branch, *past):
        B, T = input_ids.shape
        P = past[0].shape[2]
        x = W['m.transformer.wte.weight'][input_ids] + W['m.transformer.wpe.weight'][position_ids]
        q_pos = torch.arange(T).unsqueeze(1) + P
        k_pos = torch.arange(P + T).unsqueeze(0)
        allowed = (k_pos <= q_pos)[None, None] & (attention_mask[:, None, None, :] > 0)
        presents = []
        for l in range(L):
            p = f'm.transformer.h.{l}.'
            h = ln(x, W[p + 'ln_1.weight'], W[p + 'ln_1.bias'])
            qkv = h @ W[p + 'attn.c_attn.weight'] + W[p + 'attn.c_attn.bias']
            q, k, v = qkv.split(D, dim=2)
            q, k, v = (t.reshape(B, T, H, HD).transpose(1, 2) for t in (q, k, v))
            k = torch.cat([past[2 * l], k], dim=2)
            v = torch.cat([past[2 * l + 1], v], dim=2)
            presents += [k, v]
            a = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
            a = torch.where(allowed, a, torch.tensor(torch.finfo(a.dtype).min))
            a = a.softmax(-1)
            o = (a @ v).transpose(1, 2).reshape(B, T, D)
            x = x + (o @ W[p + 'attn.c_proj.weight'] + W[p + 'attn.c_proj.bias'])
            h = ln(x, W[p + 'ln_2.weight'], W[p + 'ln_2.bias'])
            h = gelu_new(h @ W[p + 'mlp.c_fc.weight'] + W[p + 'mlp.c_fc.bias']) @ W[p + 'mlp.c_proj.weight'] + W[p + 'mlp.c_proj.bias']
            x = x + h
        x = ln(x, W['m.transformer.ln_f.weight'], W['m.transformer.ln_f.bias'])
        logits = x @ W[lm_head]
        # The flag is read (so that it stays a graph input) without changing the values.
        logits = logits + 0.0 * use_cache_branch.to(logits.dtype)
        return (logits, *presents)


model = Gpt2WithPast().eval()


def empty_past(b=1):
    return [torch.zeros(b, H, 0, HD) for _ in range(2 * L)]


# 1. The plain-torch model reproduces the reference (no past), and cached steps reproduce the full pass.
ref = json.load(open(os.path.join(SRC, 'reference.json')))['cases'][0]
ids = torch.tensor([ref['input_ids']])
T = ids.shape[1]
with torch.no_grad():
    full = model(ids, torch.ones_like(ids), torch.arange(T)[None], torch.tensor([False]), *empty_past())
    logits = full[0][0].numpy()
    worst = 0.0
    for pos, (tids, tvals) in enumerate(zip(ref['outputs']['logits']['topk_ids'], ref['outputs']['logits']['topk_values'])):
        worst = max(worst, float(np.abs(logits[pos, tids] - np.array(tvals)).max()))
        assert list(np.argsort(-logits[pos])[:10]) == tids, f'top-10 order at {pos}'
    assert worst < 1e-5, worst
    first = model(ids[:, :5], torch.ones(1, 5, dtype=torch.long), torch.arange(5)[None], torch.tensor([False]), *empty_past())
    past = list(first[1:])
    for t in range(5, T):
        step = model(ids[:, t:t + 1], torch.ones(1, t + 1, dtype=torch.long), torch.tensor([[t]]), torch.tensor([True]), *past)
        past = list(step[1:])
        assert np.abs(step[0][0, 0].numpy() - logits[t]).max() < 1e-5
print(f'plain torch vs reference: max |d| {worst:.2e}; cached steps match the full pass')

# 2. Export (TorchScript exporter, opset 14), traced with a non-empty past so no length is baked in.
os.makedirs(os.path.join(DST, 'onnx'), exist_ok=True)
for f in ['config.json', 'tokenizer.json', 'tokenizer_config.json']:
    shutil.copyfile(os.path.join(SRC, f), os.path.join(DST, f))
past_names = [f'past_key_values.{l}.{kv}' for l in range(L) for kv in ('key', 'value')]
present_names = [n.replace('past_key_values', 'present') for n in past_names]
dyn = {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
       'position_ids': {0: 'batch_size', 1: 'sequence_length'}, 'logits': {0: 'batch_size', 1: 'sequence_length'}}
for n in past_names:
    dyn[n] = {0: 'batch_size', 2: 'past_sequence_length'}
for n in present_names:
    dyn[n] = {0: 'batch_size', 2: 'total_sequence_length'}
trace_past = [torch.randn(1, H, 2, HD) for _ in range(2 * L)]
out = os.path.join(DST, 'onnx', 'decoder_model_merged.onnx')
torch.onnx.export(model, (ids[:, :3], torch.ones(1, 5, dtype=torch.long), torch.tensor([[2, 3, 4]]), torch.tensor([True]), *trace_past), out,
                  input_names=['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', *past_names],
                  output_names=['logits', *present_names], dynamic_axes=dyn, opset_version=14, do_constant_folding=True)
print('wrote', out, os.path.getsize(out), 'bytes')
