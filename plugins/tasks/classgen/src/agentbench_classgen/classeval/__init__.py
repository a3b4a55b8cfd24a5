"""ClassEval: class-level code generation (FudanSELab/ClassEval)."""
