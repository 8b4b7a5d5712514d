"""Train, evaluate, register and export the model; `python -m` this package runs it.

config.py       configs/train.yaml as a typed object, and the gate a model is judged against
compliance.py   the R7, R8 and R9 hooks: GPU memory logging, the seed block, the batch check
distributed.py  this process's place in a torchrun job
prepare.py      load, validate (R3), split, fit the preprocessing on the train split (R4)
loaders.py      shuffled whole batches, sharded per rank under DDP
scoring.py      scores and validation loss in eval mode, in fixed-size chunks
loop.py         the training loop: micro-batches, mixed precision, early stopping
card.py         the model card training records on the registered model (R10)
pipeline.py     the whole run: prepare, fit, evaluate, gate, register, export
__main__.py     the command line and its exit codes
"""
