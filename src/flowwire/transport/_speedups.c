/* C versions of the exactness checks the codecs run on every payload.
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
 * digit_run(text, n): n or more ASCII digits in a row in a str or bytes (big integers in JSON).
 * msgpack_containers(data, set_weight, stop): how many containers msgpack-python builds from a
 *     MessagePack body, walking its structure (str, bin and ext bodies are skipped by their
 *     lengths), or where a container claims more items than the bytes after it can hold.
 * json_exact(value, budget, classes): all_finite, also through the classes orjson writes by
 *     itself, as ``classes`` (a dict the JSON codec fills, by id of the class) describes them:
 *     a class mapped to
 *     n >= 0 is a dataclass orjson writes exactly from an instance ``__dict__`` of n entries
 *     (whose values are walked); -1 an enum (its ``_value_`` is walked); -2 a leaf type that
 *     holds no float (Decimal, datetime, ...). Any other class: not sure.
 *
 * Plan: the C form of a compiled fast decode plan (flowwire.transport.model._fast) for the shapes
 * typed values take most: a dataclass built from an object of its fields, a list, an
 * optional value and a str-keyed dict. Each item is checked inline (str, int, bool, Decimal
 * text) or handed to a converter (another Plan, or a Python fast plan). A Plan never decides
 * that a value is wrong: whatever it does not take raises the RETRY exception (or the
 * converter's own), and the caller runs the checked Python converter, which names the path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>

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
    {
        PyObject *ident = PyLong_FromVoidPtr((void *)Py_TYPE(o)); /* id(type(o)) */
        if (ident == NULL) {
            PyErr_Clear();
            return -1;
        }
        kind = PyDict_GetItemWithError(classes, ident); /* borrowed */
        Py_DECREF(ident);
    }
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

/* -- plans ------------------------------------------------------------------------------- */

enum { MODE_RECORD, MODE_LIST, MODE_OPTIONAL, MODE_DICT };
enum { K_ANY, K_STR, K_INT, K_BOOL, K_DECIMAL, K_CALL };

typedef struct {
    int kind;
    PyObject *conv; /* K_CALL: the converter; K_DECIMAL: the Decimal type; else NULL */
} Spec;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int mode;
    Py_ssize_t n;         /* specs: one per record field, or one (items, values) */
    Spec *specs;
    PyObject *names;      /* MODE_RECORD: tuple of n field names (required ones first) */
    Py_ssize_t nreq;      /* MODE_RECORD: required fields, passed positionally */
    PyObject *keywords;   /* MODE_RECORD: tuple of the optional fields' keywords */
    PyObject *cls_ref;    /* MODE_RECORD: weak reference to the class */
    int direct;           /* MODE_RECORD: with every field present, set the instance dict
                             as the class's generated __init__ would (it runs no code) */
    PyObject *retry;      /* the exception instance raised to leave a value to Python */
} Plan;

static PyObject *retry_with(Plan *p)
{
    PyErr_SetObject((PyObject *)Py_TYPE(p->retry), p->retry);
    return NULL;
}

static PyObject *convert_one(Plan *p, Spec *s, PyObject *item)
{
    switch (s->kind) {
    case K_ANY:
        return Py_NewRef(item);
    case K_STR:
        return PyUnicode_CheckExact(item) ? Py_NewRef(item) : retry_with(p);
    case K_INT:
        return PyLong_CheckExact(item) ? Py_NewRef(item) : retry_with(p);
    case K_BOOL:
        return PyBool_Check(item) ? Py_NewRef(item) : retry_with(p);
    case K_DECIMAL:
        if (PyUnicode_CheckExact(item)) {
            return PyObject_CallOneArg(s->conv, item);
        }
        return Py_TYPE(item) == (PyTypeObject *)s->conv ? Py_NewRef(item) : retry_with(p);
    default:
        return PyObject_CallOneArg(s->conv, item);
    }
}

#define MAX_FIELDS 64

static PyObject *plan_record(Plan *p, PyObject *value)
{
    PyObject *stack[MAX_FIELDS];
    PyObject *kwnames = NULL, *cls, *out = NULL;
    Py_ssize_t i, nargs = 0, nkw = 0, nopt = p->n - p->nreq;
    Py_ssize_t present[MAX_FIELDS];
    if (!PyDict_CheckExact(value)) {
        return retry_with(p);
    }
    for (i = 0; i < p->n; i++) {
        PyObject *item = PyDict_GetItemWithError(value, PyTuple_GET_ITEM(p->names, i));
        PyObject *converted;
        if (item == NULL) {
            if (PyErr_Occurred() || i < p->nreq) {
                goto retry;
            }
            continue; /* an optional field the payload lacks: the constructor's default */
        }
        converted = convert_one(p, &p->specs[i], item);
        if (converted == NULL) {
            goto done;
        }
        stack[nargs++] = converted;
        if (i >= p->nreq) {
            present[nkw++] = i - p->nreq;
        }
    }
    if (PyDict_GET_SIZE(value) != nargs) {
        goto retry; /* unknown or renamed fields: the checked converter applies the policy */
    }
    if (nkw == nopt && nkw > 0) {
        kwnames = Py_NewRef(p->keywords);
    }
    else if (nkw > 0) {
        kwnames = PyTuple_New(nkw);
        if (kwnames == NULL) {
            goto done;
        }
        for (i = 0; i < nkw; i++) {
            PyTuple_SET_ITEM(kwnames, i, Py_NewRef(PyTuple_GET_ITEM(p->keywords, present[i])));
        }
    }
    cls = PyWeakref_GetObject(p->cls_ref); /* borrowed */
    if (cls == NULL || cls == Py_None) {
        goto retry;
    }
    Py_INCREF(cls);
    if (p->direct && nargs == p->n && PyType_Check(cls)) {
        PyTypeObject *tp = (PyTypeObject *)cls;
        PyObject *d = PyDict_New();
        out = d == NULL ? NULL : tp->tp_alloc(tp, 0);
        for (i = 0; out != NULL && i < nargs; i++) {
            if (PyDict_SetItem(d, PyTuple_GET_ITEM(p->names, i), stack[i]) < 0) {
                Py_CLEAR(out);
            }
        }
        if (out != NULL && PyObject_GenericSetDict(out, d, NULL) < 0) {
            Py_CLEAR(out);
        }
        Py_XDECREF(d);
    }
    else {
        out = PyObject_Vectorcall(cls, stack, (size_t)(nargs - nkw), kwnames);
    }
    Py_DECREF(cls);
    goto done;
retry:
    retry_with(p);
done:
    for (i = 0; i < nargs; i++) {
        Py_DECREF(stack[i]);
    }
    Py_XDECREF(kwnames);
    return out;
}

static PyObject *plan_list(Plan *p, PyObject *value)
{
    Py_ssize_t i, n;
    PyObject *out;
    if (!PyList_CheckExact(value)) {
        return retry_with(p);
    }
    n = PyList_GET_SIZE(value);
    out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(value, i);
        PyObject *converted;
        Py_INCREF(item); /* a Python converter may run code that changes the list */
        converted = convert_one(p, &p->specs[0], item);
        Py_DECREF(item);
        if (converted == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        if (PyList_GET_SIZE(value) != n) {
            Py_DECREF(converted);
            Py_DECREF(out);
            return retry_with(p);
        }
        PyList_SET_ITEM(out, i, converted);
    }
    return out;
}

static PyObject *plan_dict(Plan *p, PyObject *value)
{
    Py_ssize_t pos = 0;
    PyObject *key, *item, *out;
    if (!PyDict_CheckExact(value)) {
        return retry_with(p);
    }
    out = PyDict_New();
    if (out == NULL) {
        return NULL;
    }
    while (PyDict_Next(value, &pos, &key, &item)) {
        PyObject *converted;
        int failed;
        if (!PyUnicode_CheckExact(key)) {
            Py_DECREF(out);
            return retry_with(p);
        }
        Py_INCREF(key);
        Py_INCREF(item);
        converted = convert_one(p, &p->specs[0], item);
        Py_DECREF(item);
        failed = converted == NULL || PyDict_SetItem(out, key, converted) < 0;
        Py_DECREF(key);
        Py_XDECREF(converted);
        if (failed) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyObject *plan_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                 PyObject *kwnames)
{
    Plan *p = (Plan *)self;
    PyObject *out;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a plan takes one value");
        return NULL;
    }
    if (Py_EnterRecursiveCall(" in a decode plan")) { /* plans of recursive types nest */
        return NULL;
    }
    switch (p->mode) {
    case MODE_RECORD:
        out = plan_record(p, args[0]);
        break;
    case MODE_LIST:
        out = plan_list(p, args[0]);
        break;
    case MODE_DICT:
        out = plan_dict(p, args[0]);
        break;
    default: /* MODE_OPTIONAL */
        out = args[0] == Py_None ? Py_NewRef(Py_None) : convert_one(p, &p->specs[0], args[0]);
    }
    Py_LeaveRecursiveCall();
    return out;
}

static int plan_traverse(PyObject *self, visitproc visit, void *arg)
{
    Plan *p = (Plan *)self;
    Py_ssize_t i;
    for (i = 0; i < p->n; i++) {
        Py_VISIT(p->specs[i].conv);
    }
    Py_VISIT(p->names);
    Py_VISIT(p->keywords);
    Py_VISIT(p->cls_ref);
    Py_VISIT(p->retry);
    return 0;
}

static int plan_clear(PyObject *self)
{
    Plan *p = (Plan *)self;
    Py_ssize_t i;
    for (i = 0; i < p->n; i++) {
        Py_CLEAR(p->specs[i].conv);
    }
    Py_CLEAR(p->names);
    Py_CLEAR(p->keywords);
    Py_CLEAR(p->cls_ref);
    Py_CLEAR(p->retry);
    return 0;
}

static void plan_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    plan_clear(self);
    PyMem_Free(((Plan *)self)->specs);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "flowwire.transport._speedups.Plan",
    .tp_basicsize = sizeof(Plan),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Plan, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_traverse = plan_traverse,
    .tp_clear = plan_clear,
    .tp_dealloc = plan_dealloc,
    .tp_doc = "A compiled fast decode plan (see make_plan).",
};

/* make_plan(mode, kinds, convs, names, nreq, keywords, cls_ref, retry, direct) */
static PyObject *speedups_make_plan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Plan *p;
    Py_ssize_t i, n;
    long mode, nreq;
    (void)module;
    if (nargs != 9 || !PyTuple_CheckExact(args[1]) || !PyTuple_CheckExact(args[2]) ||
        PyTuple_GET_SIZE(args[1]) != PyTuple_GET_SIZE(args[2])) {
        PyErr_SetString(
            PyExc_TypeError,
            "make_plan(mode, kinds, convs, names, nreq, keywords, cls_ref, retry, direct)");
        return NULL;
    }
    mode = PyLong_AsLong(args[0]);
    nreq = PyLong_AsLong(args[4]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    n = PyTuple_GET_SIZE(args[1]);
    if (mode < MODE_RECORD || mode > MODE_DICT || n > MAX_FIELDS || (mode != MODE_RECORD && n != 1)) {
        PyErr_SetString(PyExc_ValueError, "make_plan: unsupported shape");
        return NULL;
    }
    if (mode == MODE_RECORD &&
        (!PyTuple_CheckExact(args[3]) || PyTuple_GET_SIZE(args[3]) != n ||
         !PyTuple_CheckExact(args[5]) || PyTuple_GET_SIZE(args[5]) != n - nreq || nreq < 0 ||
         nreq > n || !PyWeakref_CheckRef(args[6]))) {
        PyErr_SetString(PyExc_ValueError, "make_plan: inconsistent record");
        return NULL;
    }
    p = PyObject_GC_New(Plan, &PlanType);
    if (p == NULL) {
        return NULL;
    }
    p->vectorcall = plan_vectorcall;
    p->mode = (int)mode;
    p->n = 0;
    p->names = p->keywords = p->cls_ref = NULL;
    p->retry = Py_NewRef(args[7]);
    p->direct = PyObject_IsTrue(args[8]) == 1;
    p->nreq = nreq;
    p->specs = PyMem_Calloc((size_t)n, sizeof(Spec));
    if (p->specs == NULL) {
        Py_DECREF(p);
        return PyErr_NoMemory();
    }
    p->n = n;
    for (i = 0; i < n; i++) {
        PyObject *conv = PyTuple_GET_ITEM(args[2], i);
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(args[1], i));
        if (kind < K_ANY || kind > K_CALL || ((kind == K_CALL || kind == K_DECIMAL) &&
                                              !PyCallable_Check(conv))) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "make_plan: bad kind or converter");
            }
            Py_DECREF(p);
            return NULL;
        }
        p->specs[i].kind = (int)kind;
        p->specs[i].conv = conv == Py_None ? NULL : Py_NewRef(conv);
    }
    if (mode == MODE_RECORD) {
        p->names = Py_NewRef(args[3]);
        p->keywords = Py_NewRef(args[5]);
        p->cls_ref = Py_NewRef(args[6]);
    }
    PyObject_GC_Track((PyObject *)p);
    return (PyObject *)p;
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

/* digit_run(text, n): True if text (str or bytes) holds n or more ASCII digits in a row. The
 * JSON codec asks it whether a document may hold an integer orjson cannot read exactly (one
 * beyond 64 bits has at least 19 digits); one pass, no allocation. */
static PyObject *speedups_digit_run(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t i, len, run = 0, n;
    (void)module;
    if (nargs != 2 || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "digit_run(text: str | bytes, n: int)");
        return NULL;
    }
    n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n <= 0) {
        Py_RETURN_TRUE;
    }
    if (PyBytes_Check(args[0]) || (PyUnicode_Check(args[0]) &&
                                   PyUnicode_KIND(args[0]) == PyUnicode_1BYTE_KIND)) {
        const unsigned char *p;
        if (PyBytes_Check(args[0])) {
            p = (const unsigned char *)PyBytes_AS_STRING(args[0]);
            len = PyBytes_GET_SIZE(args[0]);
        }
        else {
            p = (const unsigned char *)PyUnicode_1BYTE_DATA(args[0]);
            len = PyUnicode_GET_LENGTH(args[0]);
        }
        for (i = 0; i < len; i++) {
            if ((unsigned char)(p[i] - '0') < 10) {
                if (++run >= n) {
                    Py_RETURN_TRUE;
                }
            }
            else {
                run = 0;
            }
        }
        Py_RETURN_FALSE;
    }
    if (PyUnicode_Check(args[0])) {
        int kind = PyUnicode_KIND(args[0]);
        const void *data = PyUnicode_DATA(args[0]);
        len = PyUnicode_GET_LENGTH(args[0]);
        for (i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c >= '0' && c <= '9') {
                if (++run >= n) {
                    Py_RETURN_TRUE;
                }
            }
            else {
                run = 0;
            }
        }
        Py_RETURN_FALSE;
    }
    PyErr_SetString(PyExc_TypeError, "digit_run(text: str | bytes, n: int)");
    return NULL;
}

/* The MessagePack walk of msgpack_containers. It reads the body the way msgpack-python's
 * unpacker does, one object with its items, and counts the containers it builds: maps and
 * arrays 1, the ext types 2 (tuple) 1 and 3, 4 (set, frozenset) set_weight, plus what their ext
 * data (one MessagePack object, unpacked by the codec's ext hook) holds. It stops at the first
 * truncated or malformed byte, since the unpacker stops there too (what comes after is never
 * built), so the count is exact or an overestimate. Items still expected ("pending") each take
 * at least one byte: a header that makes them more than the bytes left in its document claims
 * items that cannot be there (the unpacker would fail, after preallocating them: an array of n
 * items allocates 8n bytes at its header). Returns 0 (count is in *count, more than stop when
 * it stopped early), 1 (a claim beyond the end: the header's offset in *at), 2 (not sure: ext
 * data nested deeper than C_MAX_DEPTH) or 3 (truncated or malformed: the count so far, as the
 * unpacker stops there, also inside ext data, whose failure fails the whole body). */
static int mp_walk(const unsigned char *p, Py_ssize_t i, Py_ssize_t end, int depth,
                   Py_ssize_t set_weight, Py_ssize_t stop, Py_ssize_t *count, Py_ssize_t *at)
{
    Py_ssize_t pending = 1; /* at most end - i, checked at every header */
    while (pending > 0 && i < end) {
        Py_ssize_t start = i, n = -1, skip = 0, k;
        unsigned char c = p[i++];
        pending--;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            continue; /* fixint, nil, false, true */
        }
        if (c <= 0x8f) {
            n = 2 * (Py_ssize_t)(c & 0x0f);
        }
        else if (c <= 0x9f) {
            n = c & 0x0f;
        }
        else if (c <= 0xbf) {
            skip = c & 0x1f; /* fixstr */
        }
        else {
            int width = 0, ext = 0;
            switch (c) {
            case 0xc1:
                return 3; /* never used: the unpacker stops here */
            case 0xc4: case 0xd9: width = 1; break; /* bin 8, str 8 */
            case 0xc5: case 0xda: width = 2; break;
            case 0xc6: case 0xdb: width = 4; break;
            case 0xc7: width = 1; ext = 1; break; /* ext 8/16/32: length, type, data */
            case 0xc8: width = 2; ext = 1; break;
            case 0xc9: width = 4; ext = 1; break;
            case 0xca: skip = 4; break; /* float 32 */
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break; /* (u)int 8 */
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext 1..16 */
                ext = 2;
                skip = (Py_ssize_t)1 << (c - 0xd4);
                break;
            case 0xdc: case 0xde: width = 2; n = 0; break; /* array 16, map 16 */
            case 0xdd: case 0xdf: width = 4; n = 0; break;
            }
            if (width) {
                Py_ssize_t len = 0;
                if (end - i < width) {
                    return 3;
                }
                for (k = 0; k < width; k++) {
                    len = (len << 8) | p[i++];
                }
                if (n == 0) {
                    n = (c == 0xde || c == 0xdf) ? 2 * len : len;
                }
                else {
                    skip = len;
                }
            }
            if (ext) {
                signed char code;
                if (i >= end) {
                    return 3;
                }
                code = (signed char)p[i++];
                if (skip > end - i) {
                    return 3;
                }
                if (code >= 2 && code <= 4) { /* tuple, set, frozenset: one object inside */
                    int status;
                    *count += code == 2 ? 1 : set_weight;
                    if (*count > stop) {
                        return 0;
                    }
                    if (pending > end - (i + skip)) {
                        /* the items still claimed around it cannot fit after it: refused
                         * before its data is walked, whose claims those bytes cannot hold
                         * as well (both are preallocated at once) */
                        *at = start;
                        return 1;
                    }
                    if (depth >= C_MAX_DEPTH) {
                        return 2;
                    }
                    status = mp_walk(p, i, i + skip, depth + 1, set_weight, stop, count, at);
                    if (status != 0 || *count > stop) {
                        return status;
                    }
                }
            }
        }
        if (n >= 0) { /* a map or an array */
            *count += 1;
            if (*count > stop) {
                return 0;
            }
            if (n > end - i - pending) { /* certainly truncated */
                *at = start;
                return 1;
            }
            pending += n;
        }
        else if (skip > end - i) {
            return 3;
        }
        else {
            i += skip;
        }
    }
    return pending > 0 ? 3 : 0;
}

/* msgpack_containers(data, set_weight, stop): see mp_walk. An int >= 0 (the count; once it is
 * over stop, the walk stops), -1 - offset for a claim beyond the end, or None (not sure). */
static PyObject *speedups_msgpack_containers(PyObject *module, PyObject *const *args,
                                             Py_ssize_t nargs)
{
    Py_ssize_t set_weight, stop, count = 0, at = 0;
    int status;
    (void)module;
    if (nargs != 3 || !PyBytes_Check(args[0]) || !PyLong_Check(args[1]) ||
        !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "msgpack_containers(data: bytes, set_weight: int, stop: int)");
        return NULL;
    }
    set_weight = PyLong_AsSsize_t(args[1]);
    stop = PyLong_AsSsize_t(args[2]);
    if ((set_weight == -1 || stop == -1) && PyErr_Occurred()) {
        return NULL;
    }
    status = mp_walk((const unsigned char *)PyBytes_AS_STRING(args[0]), 0,
                     PyBytes_GET_SIZE(args[0]), 0, set_weight, stop, &count, &at);
    if (status == 2) {
        Py_RETURN_NONE;
    }
    return PyLong_FromSsize_t(status == 1 ? -1 - at : count);
}

static PyMethodDef speedups_methods[] = {
    {"digit_run", (PyCFunction)(void (*)(void))speedups_digit_run, METH_FASTCALL,
     "digit_run(text, n) -> True if text holds n or more ASCII digits in a row."},
    {"msgpack_containers", (PyCFunction)(void (*)(void))speedups_msgpack_containers,
     METH_FASTCALL,
     "msgpack_containers(data, set_weight, stop) -> the containers a MessagePack body builds "
     "(-1 - offset: a header claims items beyond the end; None: not sure)."},
    {"make_plan", (PyCFunction)(void (*)(void))speedups_make_plan, METH_FASTCALL,
     "make_plan(mode, kinds, convs, names, nreq, keywords, cls_ref, retry, direct) -> a Plan."},
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
    PyObject *module;
    VALUE_NAME = PyUnicode_InternFromString("_value_");
    if (VALUE_NAME == NULL || PyType_Ready(&PlanType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Plan", (PyObject *)&PlanType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
