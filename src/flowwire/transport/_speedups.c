/* C versions of two exactness checks the codecs run on every payload.
 *
 * Both walk only exact dict, list (and, for all_finite, tuple) objects and read their items
 * without calling any Python code, so nothing can change under them. Each answers 1 (the
 * value certainly passes), 0 (it certainly fails) or -1 (not sure: a type they do not know,
 * or nesting deeper than they go). On -1 the caller runs its Python walk, which decides and
 * names the problem with the value's path; so these functions never produce an error message
 * themselves.
 *
 * str_keys(value, budget): every dict inside plain dicts and lists has only str keys, and
 *     containers nest at most ``budget`` deep (the MessagePack codec: msgpack-python itself
 *     would write other keys).
 * all_finite(value, budget): no NaN or infinite float anywhere inside plain dicts, lists and
 *     tuples of base values (the JSON codec: orjson writes NaN and infinities as null).
 * json_exact(value, budget, classes): all_finite, also through the classes orjson writes by
 *     itself, as ``classes`` (a dict the JSON codec fills) describes them: a class mapped to
 *     n >= 0 is a dataclass orjson writes exactly from an instance ``__dict__`` of n entries
 *     (whose values are walked); -1 an enum (its ``_value_`` is walked); -2 a leaf type that
 *     holds no float (Decimal, datetime, ...). Any other class: not sure.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

#define C_MAX_DEPTH 200 /* bounds the C recursion whatever the budget says */

static int str_keys(PyObject *o, int budget)
{
    Py_ssize_t i, n;
    if (PyDict_CheckExact(o)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        if (budget <= 0) {
            return -1;
        }
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (!PyUnicode_Check(key)) {
                return 0;
            }
            if (PyDict_CheckExact(value) || PyList_CheckExact(value)) {
                int r = str_keys(value, budget - 1);
                if (r != 1) {
                    return r;
                }
            }
        }
        return 1;
    }
    if (PyList_CheckExact(o)) {
        if (budget <= 0) {
            return -1;
        }
        n = PyList_GET_SIZE(o);
        for (i = 0; i < n; i++) {
            PyObject *item = PyList_GET_ITEM(o, i);
            if (PyDict_CheckExact(item) || PyList_CheckExact(item)) {
                int r = str_keys(item, budget - 1);
                if (r != 1) {
                    return r;
                }
            }
        }
    }
    return 1; /* anything else holds no plain dict the packer writes without asking */
}

static int all_finite(PyObject *o, int budget)
{
    Py_ssize_t i, n;
    if (PyFloat_CheckExact(o)) {
        return isfinite(PyFloat_AS_DOUBLE(o)) ? 1 : 0;
    }
    if (o == Py_None || PyUnicode_CheckExact(o) || PyLong_CheckExact(o) || PyBool_Check(o) ||
        PyBytes_CheckExact(o)) {
        return 1;
    }
    if (budget <= 0) {
        return -1;
    }
    if (PyDict_CheckExact(o)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            int r = all_finite(value, budget - 1);
            if (r != 1) {
                return r;
            }
        }
        return 1;
    }
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) {
        PyObject **items = PySequence_Fast_ITEMS(o);
        n = PySequence_Fast_GET_SIZE(o);
        for (i = 0; i < n; i++) {
            int r = all_finite(items[i], budget - 1);
            if (r != 1) {
                return r;
            }
        }
        return 1;
    }
    return -1; /* an extended value (dataclass, Decimal, ...): the Python walk lowers it */
}

static PyObject *VALUE_NAME; /* "_value_" */

static int json_exact(PyObject *o, int budget, PyObject *classes)
{
    Py_ssize_t i, n;
    PyObject *kind;
    long code;
    if (PyFloat_CheckExact(o)) {
        return isfinite(PyFloat_AS_DOUBLE(o)) ? 1 : 0;
    }
    if (o == Py_None || PyUnicode_CheckExact(o) || PyLong_CheckExact(o) || PyBool_Check(o) ||
        PyBytes_CheckExact(o)) {
        return 1;
    }
    if (budget <= 0) {
        return -1;
    }
    if (PyDict_CheckExact(o)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            int r = json_exact(value, budget - 1, classes);
            if (r != 1) {
                return r;
            }
        }
        return 1;
    }
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) {
        PyObject **items = PySequence_Fast_ITEMS(o);
        n = PySequence_Fast_GET_SIZE(o);
        for (i = 0; i < n; i++) {
            int r = json_exact(items[i], budget - 1, classes);
            if (r != 1) {
                return r;
            }
        }
        return 1;
    }
    kind = PyDict_GetItemWithError(classes, (PyObject *)Py_TYPE(o)); /* borrowed */
    if (kind == NULL || !PyLong_CheckExact(kind)) {
        PyErr_Clear();
        return -1;
    }
    code = PyLong_AsLong(kind);
    if (code == -2) {
        return 1;
    }
    if (code == -1) {
        PyObject *value = PyObject_GetAttr(o, VALUE_NAME);
        int r;
        if (value == NULL) {
            PyErr_Clear();
            return -1;
        }
        r = json_exact(value, budget - 1, classes);
        Py_DECREF(value);
        return r;
    }
    if (code >= 0) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        PyObject *d = PyObject_GenericGetDict(o, NULL);
        int r = 1;
        if (d == NULL) {
            PyErr_Clear();
            return -1;
        }
        if (!PyDict_CheckExact(d) || PyDict_GET_SIZE(d) != code) {
            Py_DECREF(d);
            return -1; /* an attribute added or missing: orjson would write other keys */
        }
        while (PyDict_Next(d, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key) || PyUnicode_GET_LENGTH(key) == 0 ||
                PyUnicode_READ_CHAR(key, 0) == '_') {
                r = -1; /* orjson skips keys starting with "_" */
                break;
            }
            r = json_exact(value, budget - 1, classes);
            if (r != 1) {
                break;
            }
        }
        Py_DECREF(d);
        return r;
    }
    return -1;
}

static int read_args(PyObject *const *args, Py_ssize_t nargs, const char *name, int *budget)
{
    long b;
    if (nargs != 2 || !PyLong_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "%s(value, budget: int)", name);
        return -1;
    }
    b = PyLong_AsLong(args[1]);
    if (b == -1 && PyErr_Occurred()) {
        return -1;
    }
    *budget = b > C_MAX_DEPTH ? C_MAX_DEPTH : (b < 0 ? 0 : (int)b);
    return 0;
}

static PyObject *answer(int r)
{
    if (r == 1) {
        Py_RETURN_TRUE;
    }
    if (r == 0) {
        Py_RETURN_FALSE;
    }
    Py_RETURN_NONE;
}

static PyObject *speedups_str_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int budget;
    (void)module;
    if (read_args(args, nargs, "str_keys", &budget) < 0) {
        return NULL;
    }
    return answer(str_keys(args[0], budget));
}

static PyObject *speedups_all_finite(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int budget;
    (void)module;
    if (read_args(args, nargs, "all_finite", &budget) < 0) {
        return NULL;
    }
    return answer(all_finite(args[0], budget));
}

static PyObject *speedups_json_exact(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int budget;
    (void)module;
    if (nargs != 3 || !PyDict_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "json_exact(value, budget: int, classes: dict)");
        return NULL;
    }
    if (read_args(args, 2, "json_exact", &budget) < 0) {
        return NULL;
    }
    return answer(json_exact(args[0], budget, args[2]));
}

static PyMethodDef speedups_methods[] = {
    {"str_keys", (PyCFunction)(void (*)(void))speedups_str_keys, METH_FASTCALL,
     "str_keys(value, budget) -> True, False or None (not sure): str keys, depth <= budget."},
    {"all_finite", (PyCFunction)(void (*)(void))speedups_all_finite, METH_FASTCALL,
     "all_finite(value, budget) -> True, False or None (not sure): no NaN or infinity."},
    {"json_exact", (PyCFunction)(void (*)(void))speedups_json_exact, METH_FASTCALL,
     "json_exact(value, budget, classes) -> True, False or None: all_finite through the "
     "classes orjson writes by itself."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "_speedups",
    "C versions of the codecs' exactness checks (see _speedups.c).",
    -1,
    speedups_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
    VALUE_NAME = PyUnicode_InternFromString("_value_");
    if (VALUE_NAME == NULL) {
        return NULL;
    }
    return PyModule_Create(&speedups_module);
}
