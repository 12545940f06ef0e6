"""Grading specs, one module per lesson: `lessonNN.py` grades `lessons/NN_name.ipynb`.

Each module defines SETUP (the imports the lesson's solution cells need; never training) and
EXERCISES (a list of `t2ilab.course.spec.Exercise`). See `t2ilab/course/spec.py` for the format.
"""
