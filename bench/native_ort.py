"""The CPU ceiling of the real-size bench: native onnxruntime (Python), one thread, on the
same ONNX file as the browser, greedy decoding with the KV cache in numpy.
Prints one JSON line: {"ttft_ms": [...], "decode_tok_s": [...]} over `rounds` runs.
Usage: python bench/native_ort.py <model.onnx> <prompt_tokens> <tokens> <rounds>"""
import json, sys, time
import numpy as np
import onnxruntime as ort

path, prompt_len, tokens, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
s = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
past = [i for i in s.get_inputs() if i.name.startswith('past_key_values')]
outs = [o.name for o in s.get_outputs()]


def empty(i):
    dims = [1 if d == 'batch_size' else (0 if isinstance(d, str) else d) for d in i.shape]
    return np.zeros(dims, np.float32)


def run_once(ids):
    kv = {i.name: empty(i) for i in past}
    start = time.perf_counter()
    times = []
    seq, n = ids, 0
    for _ in range(tokens):
        feed = {'input_ids': seq, 'attention_mask': np.ones((1, n + seq.shape[1]), np.int64),
                'position_ids': np.arange(n, n + seq.shape[1], dtype=np.int64)[None]}
        feed.update(kv)
        res = dict(zip(outs, s.run(None, feed)))
        n += seq.shape[1]
        kv = {k.replace('present', 'past_key_values'): v for k, v in res.items() if k.startswith('present')}
        seq = np.array([[int(res['logits'][0, -1].argmax())]], np.int64)
        times.append(time.perf_counter())
    return (times[0] - start) * 1000, (len(times) - 1) / (times[-1] - times[0])


rng = np.random.default_rng(0)
ttft, tps = [], []
run_once(rng.integers(10, 1000, (1, prompt_len)))  # warm-up
for _ in range(rounds):
    a, b = run_once(rng.integers(10, 1000, (1, prompt_len)))
    ttft.append(a)
    tps.append(b)
print(json.dumps({'ttft_ms': ttft, 'decode_tok_s': tps}))
