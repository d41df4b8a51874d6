/* A C fast path for reading the common shapes of a serialized flowwire.v1.Value.
 *
 * decode(data, max_depth) returns the value of one serialized Value when it holds only these
 * kinds, written canonically (one kind per Value, map entries as key then value, the key
 * omitted only when empty, no unknown fields): null, bool, int (sint64), double, string, bytes,
 * list, map, tuple, set, frozenset and -- through the Python functions handed to configure()
 * -- datetime, date, time, timedelta, UUID and Decimal. decode_arguments(data, max_depth)
 * does the same for one serialized Arguments message and returns (args, kwargs). For anything
 * else -- another kind, an unknown field, a malformed or truncated byte, invalid UTF-8, a
 * duplicate map key, nesting deeper than max_depth (or than C_MAX_DEPTH) -- it returns the
 * FALLBACK sentinel and the caller decodes with the pure-Python reader, which accepts what the
 * schema allows and names any problem with its value path. So this module never decides that a
 * payload is wrong; it only answers faster when the payload is plainly right. It reads only
 * inside the bytes object, checks every length against the end of its enclosing message before
 * use, and allocates in proportion to the input.
 *
 * The one exception is memory: an empty set takes 2 bytes of wire and over 200 bytes of
 * Python. Given a third argument empty_sets >= 0, both functions build at most that many empty
 * sets and frozensets and return the TOO_MANY_EMPTY_SETS sentinel (the caller refuses the
 * body) instead of building one more; the Python reader keeps the same count.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define C_MAX_DEPTH 200 /* bounds the C recursion whatever max_depth says */

static PyObject *FALLBACK; /* the sentinel: "decode this with the Python reader" */

/* The Python constructors of the extended kinds (configure()): each is called with the kind's
 * payload (str, or int for timedelta, bytes for UUID); any exception means FALLBACK, so the
 * Python reader names the problem. */
enum { K_DATETIME, K_DATE, K_TIME, K_TIMEDELTA, K_UUID, K_DECIMAL, K_COUNT };
static PyObject *KIND_FUNCS[K_COUNT];

static PyObject *TOO_MANY_EMPTY_SETS; /* the sentinel: "more empty sets than allowed" */

typedef struct {
    const unsigned char *buf;
    int max_depth;
    Py_ssize_t empty_sets; /* how many more empty sets may be built; < 0: any number */
    int too_many;          /* set when one more was asked for: FALLBACK then unwinds */
} Reader;

/* Read a varint of at most 64 bits at buf[*pos], before end. 0 on success, -1 otherwise. */
static int read_varint(const unsigned char *buf, Py_ssize_t *pos, Py_ssize_t end, uint64_t *out)
{
    uint64_t result = 0;
    int shift = 0;
    Py_ssize_t i = *pos;
    while (i < end) {
        unsigned char c = buf[i++];
        if (shift == 63 && c > 1) {
            return -1; /* over 64 bits, or longer than 10 bytes */
        }
        result |= (uint64_t)(c & 0x7F) << shift;
        if (c < 0x80) {
            *pos = i;
            *out = result;
            return 0;
        }
        shift += 7;
    }
    return -1; /* truncated */
}

/* Read a length-delimited payload's bounds: on success [*a, *b) lies inside [pos, end). */
static int read_span(const unsigned char *buf, Py_ssize_t *pos, Py_ssize_t end, Py_ssize_t *a,
                     Py_ssize_t *b)
{
    uint64_t n;
    if (read_varint(buf, pos, end, &n) < 0) {
        return -1;
    }
    if (n > (uint64_t)(end - *pos)) {
        return -1;
    }
    *a = *pos;
    *b = *pos + (Py_ssize_t)n;
    *pos = *b;
    return 0;
}

static PyObject *decode_value(Reader *r, Py_ssize_t i, Py_ssize_t end, int depth);

/* The items of a ValueList in [i, end): only field 1 (items), each a Value. */
static PyObject *decode_items(Reader *r, Py_ssize_t i, Py_ssize_t end, int depth)
{
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return NULL;
    }
    while (i < end) {
        Py_ssize_t a, b;
        PyObject *item;
        if (r->buf[i] != 0x0A) { /* field 1, wire type 2 */
            goto fallback;
        }
        i++;
        if (read_span(r->buf, &i, end, &a, &b) < 0) {
            goto fallback;
        }
        item = decode_value(r, a, b, depth);
        if (item == NULL) {
            goto fail;
        }
        if (item == FALLBACK) {
            Py_DECREF(item);
            goto fallback;
        }
        if (PyList_Append(list, item) < 0) {
            Py_DECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    return list;
fallback:
    Py_DECREF(list);
    return Py_NewRef(FALLBACK);
fail:
    Py_DECREF(list);
    return NULL;
}

/* One MapEntry in [ea, eb), exactly "key, then value", added to dict. 0 on success, 1 for
 * FALLBACK, -1 with an exception set. */
static int decode_entry(Reader *r, Py_ssize_t ea, Py_ssize_t eb, int depth, PyObject *dict)
{
    Py_ssize_t ka, kb, va, vb, j = ea;
    PyObject *key, *value;
    int present;
    if (j < eb && r->buf[j] == 0x0A) { /* MapEntry.key: field 1, wire type 2 */
        j++;
        if (read_span(r->buf, &j, eb, &ka, &kb) < 0) {
            return 1;
        }
    }
    else { /* no key field: the empty key, which proto3 writers omit */
        ka = kb = j;
    }
    if (j >= eb || r->buf[j] != 0x12) { /* MapEntry.value: field 2, wire type 2 */
        return 1;
    }
    j++;
    if (read_span(r->buf, &j, eb, &va, &vb) < 0 || j != eb) {
        return 1;
    }
    key = PyUnicode_DecodeUTF8((const char *)r->buf + ka, kb - ka, NULL);
    if (key == NULL) {
        return -1; /* invalid UTF-8: the caller falls back */
    }
    present = PyDict_Contains(dict, key);
    if (present != 0) {
        Py_DECREF(key);
        return present < 0 ? -1 : 1; /* a duplicate key: the Python reader names it */
    }
    value = decode_value(r, va, vb, depth);
    if (value == NULL || value == FALLBACK) {
        Py_DECREF(key);
        Py_XDECREF(value);
        return value == NULL ? -1 : 1;
    }
    present = PyDict_SetItem(dict, key, value);
    Py_DECREF(key);
    Py_DECREF(value);
    return present < 0 ? -1 : 0;
}

/* The entries of a ValueMap in [i, end): field 1 (entries), each a MapEntry. */
static PyObject *decode_entries(Reader *r, Py_ssize_t i, Py_ssize_t end, int depth)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return NULL;
    }
    while (i < end) {
        Py_ssize_t ea, eb;
        int status;
        if (r->buf[i] != 0x0A) { /* ValueMap.entries: field 1, wire type 2 */
            goto fallback;
        }
        i++;
        if (read_span(r->buf, &i, end, &ea, &eb) < 0) {
            goto fallback;
        }
        status = decode_entry(r, ea, eb, depth, dict);
        if (status < 0) {
            goto fail;
        }
        if (status > 0) {
            goto fallback;
        }
    }
    return dict;
fallback:
    Py_DECREF(dict);
    return Py_NewRef(FALLBACK);
fail:
    Py_DECREF(dict);
    return NULL;
}

/* One Value in [i, end): exactly one kind field and nothing else. A new reference, FALLBACK,
 * or NULL with an exception set. */
static PyObject *decode_value(Reader *r, Py_ssize_t i, Py_ssize_t end, int depth)
{
    const unsigned char *buf = r->buf;
    uint64_t key, v;
    Py_ssize_t a, b;
    PyObject *out;
    if (read_varint(buf, &i, end, &key) < 0) {
        return Py_NewRef(FALLBACK);
    }
    switch (key) {
    case (1 << 3) | 0: /* null_value */
        if (read_varint(buf, &i, end, &v) < 0 || v != 0) {
            return Py_NewRef(FALLBACK);
        }
        out = Py_NewRef(Py_None);
        break;
    case (2 << 3) | 0: /* bool_value */
        if (read_varint(buf, &i, end, &v) < 0) {
            return Py_NewRef(FALLBACK);
        }
        out = PyBool_FromLong(v != 0);
        break;
    case (3 << 3) | 0: /* int_value, zig-zag */
        if (read_varint(buf, &i, end, &v) < 0) {
            return Py_NewRef(FALLBACK);
        }
        out = PyLong_FromLongLong((long long)(v >> 1) ^ -(long long)(v & 1));
        break;
    case (5 << 3) | 1: { /* double_value, little-endian binary64 */
        double d;
        if (end - i < 8) {
            return Py_NewRef(FALLBACK);
        }
        d = PyFloat_Unpack8((const char *)buf + i, 1);
        if (d == -1.0 && PyErr_Occurred()) {
            return NULL;
        }
        i += 8;
        out = PyFloat_FromDouble(d);
        break;
    }
    case (6 << 3) | 2: /* string_value */
        if (read_span(buf, &i, end, &a, &b) < 0) {
            return Py_NewRef(FALLBACK);
        }
        out = PyUnicode_DecodeUTF8((const char *)buf + a, b - a, NULL);
        break;
    case (7 << 3) | 2: /* bytes_value */
        if (read_span(buf, &i, end, &a, &b) < 0) {
            return Py_NewRef(FALLBACK);
        }
        out = PyBytes_FromStringAndSize((const char *)buf + a, b - a);
        break;
    case (8 << 3) | 2:  /* list_value */
    case (9 << 3) | 2:  /* map_value */
    case (10 << 3) | 2: /* tuple_value */
    case (11 << 3) | 2: /* set_value */
    case (12 << 3) | 2: /* frozenset_value */
        if (depth >= r->max_depth || depth >= C_MAX_DEPTH) {
            return Py_NewRef(FALLBACK);
        }
        if (read_span(buf, &i, end, &a, &b) < 0) {
            return Py_NewRef(FALLBACK);
        }
        if (key == ((9 << 3) | 2)) {
            out = decode_entries(r, a, b, depth + 1);
        }
        else {
            out = decode_items(r, a, b, depth + 1);
            if (out != NULL && out != FALLBACK && key != ((8 << 3) | 2)) {
                PyObject *other;
                if (key == ((10 << 3) | 2)) {
                    other = PyList_AsTuple(out);
                }
                else if (PyList_GET_SIZE(out) == 0 && r->empty_sets == 0) {
                    r->too_many = 1; /* FALLBACK unwinds; the caller returns the sentinel */
                    other = Py_NewRef(FALLBACK);
                }
                else {
                    if (PyList_GET_SIZE(out) == 0 && r->empty_sets > 0) {
                        r->empty_sets--;
                    }
                    other = key == ((11 << 3) | 2) ? PySet_New(out) : PyFrozenSet_New(out);
                }
                if (other == NULL && key != ((10 << 3) | 2)) {
                    /* unhashable (lowered) items: the Python reader returns the list */
                    PyErr_Clear();
                    other = Py_NewRef(FALLBACK);
                }
                Py_DECREF(out);
                out = other;
            }
        }
        break;
    case (13 << 3) | 2: /* datetime_value */
    case (14 << 3) | 2: /* date_value */
    case (15 << 3) | 2: /* time_value */
    case (19 << 3) | 2: /* decimal_value */
    case (18 << 3) | 2: /* uuid_value */ {
        int kind = key == ((13 << 3) | 2)   ? K_DATETIME
                   : key == ((14 << 3) | 2) ? K_DATE
                   : key == ((15 << 3) | 2) ? K_TIME
                   : key == ((19 << 3) | 2) ? K_DECIMAL
                                            : K_UUID;
        PyObject *arg;
        if (KIND_FUNCS[kind] == NULL || read_span(buf, &i, end, &a, &b) < 0) {
            return Py_NewRef(FALLBACK);
        }
        if (kind == K_UUID) {
            if (b - a != 16) {
                return Py_NewRef(FALLBACK);
            }
            arg = PyBytes_FromStringAndSize((const char *)buf + a, 16);
        }
        else {
            arg = PyUnicode_DecodeUTF8((const char *)buf + a, b - a, NULL);
        }
        if (arg == NULL) {
            return NULL;
        }
        out = PyObject_CallOneArg(KIND_FUNCS[kind], arg);
        Py_DECREF(arg);
        break;
    }
    case (16 << 3) | 0: { /* timedelta_value, zig-zag microseconds */
        PyObject *micros;
        if (KIND_FUNCS[K_TIMEDELTA] == NULL || read_varint(buf, &i, end, &v) < 0) {
            return Py_NewRef(FALLBACK);
        }
        micros = PyLong_FromLongLong((long long)(v >> 1) ^ -(long long)(v & 1));
        if (micros == NULL) {
            return NULL;
        }
        out = PyObject_CallOneArg(KIND_FUNCS[K_TIMEDELTA], micros);
        Py_DECREF(micros);
        break;
    }
    default: /* another kind, an unknown field or a wrong wire type */
        return Py_NewRef(FALLBACK);
    }
    if (out == NULL || out == FALLBACK) {
        return out;
    }
    if (i != end) { /* more than one field in this Value */
        Py_DECREF(out);
        return Py_NewRef(FALLBACK);
    }
    return out;
}

/* The arguments of decode and decode_arguments: (data, max_depth[, empty_sets]). */
static int read_args(PyObject *const *args, Py_ssize_t nargs, Reader *r, const char *usage)
{
    long max_depth;
    Py_ssize_t empty_sets = -1;
    if ((nargs != 2 && nargs != 3) || !PyBytes_CheckExact(args[0]) || !PyLong_Check(args[1]) ||
        (nargs == 3 && !PyLong_Check(args[2]))) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    max_depth = PyLong_AsLong(args[1]);
    if (max_depth == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (nargs == 3) {
        empty_sets = PyLong_AsSsize_t(args[2]);
        if (empty_sets == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    r->buf = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    r->max_depth = max_depth > C_MAX_DEPTH ? C_MAX_DEPTH : (int)(max_depth < 0 ? 0 : max_depth);
    r->empty_sets = empty_sets < 0 ? -1 : empty_sets;
    r->too_many = 0;
    return 0;
}

static PyObject *pbfast_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Reader r;
    PyObject *out;
    (void)module;
    if (read_args(args, nargs, &r, "decode(data: bytes, max_depth: int, empty_sets: int = -1)") <
        0) {
        return NULL;
    }
    out = decode_value(&r, 0, PyBytes_GET_SIZE(args[0]), 0);
    if (r.too_many) {
        Py_XDECREF(out);
        PyErr_Clear();
        return Py_NewRef(TOO_MANY_EMPTY_SETS);
    }
    if (out == NULL) { /* invalid UTF-8, out of memory...: the Python reader decides */
        PyErr_Clear();
        return Py_NewRef(FALLBACK);
    }
    return out;
}

/* One serialized Arguments in the whole buffer: field 1 (args: Value), field 2 (kwargs:
 * MapEntry), each in any order; values nest at depth 2, as in {"args": [...], ...}. */
static PyObject *pbfast_decode_arguments(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Reader r;
    PyObject *list, *dict, *out;
    Py_ssize_t i = 0, end;
    (void)module;
    if (read_args(args, nargs, &r,
                  "decode_arguments(data: bytes, max_depth: int, empty_sets: int = -1)") < 0) {
        return NULL;
    }
    end = PyBytes_GET_SIZE(args[0]);
    list = PyList_New(0);
    dict = PyDict_New();
    if (list == NULL || dict == NULL) {
        goto fail;
    }
    while (i < end) {
        Py_ssize_t a, b;
        PyObject *item;
        unsigned char tag = r.buf[i++];
        if (tag != 0x0A && tag != 0x12) {
            goto fallback;
        }
        if (read_span(r.buf, &i, end, &a, &b) < 0) {
            goto fallback;
        }
        if (tag == 0x0A) {
            item = decode_value(&r, a, b, 2);
            if (item == NULL) {
                goto fail;
            }
            if (item == FALLBACK || PyList_Append(list, item) < 0) {
                Py_DECREF(item);
                goto fallback;
            }
            Py_DECREF(item);
        }
        else { /* one kwargs entry */
            int status = decode_entry(&r, a, b, 2, dict);
            if (status < 0) {
                goto fail;
            }
            if (status > 0) {
                goto fallback;
            }
        }
    }
    out = PyTuple_Pack(2, list, dict);
    Py_DECREF(list);
    Py_DECREF(dict);
    return out;
fallback:
    Py_XDECREF(list);
    Py_XDECREF(dict);
    return Py_NewRef(r.too_many ? TOO_MANY_EMPTY_SETS : FALLBACK);
fail:
    Py_XDECREF(list);
    Py_XDECREF(dict);
    PyErr_Clear();
    return Py_NewRef(r.too_many ? TOO_MANY_EMPTY_SETS : FALLBACK);
}

static PyObject *pbfast_configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t k;
    (void)module;
    if (nargs != K_COUNT) {
        PyErr_SetString(PyExc_TypeError,
                        "configure(datetime, date, time, timedelta, uuid, decimal): 6 callables");
        return NULL;
    }
    for (k = 0; k < K_COUNT; k++) {
        if (!PyCallable_Check(args[k])) {
            PyErr_SetString(PyExc_TypeError, "configure() takes callables");
            return NULL;
        }
    }
    for (k = 0; k < K_COUNT; k++) {
        Py_XSETREF(KIND_FUNCS[k], Py_NewRef(args[k]));
    }
    Py_RETURN_NONE;
}

static PyMethodDef pbfast_methods[] = {
    {"decode", (PyCFunction)(void (*)(void))pbfast_decode, METH_FASTCALL,
     "decode(data, max_depth, empty_sets=-1) -> value, FALLBACK or TOO_MANY_EMPTY_SETS: the "
     "common shapes of a serialized Value."},
    {"decode_arguments", (PyCFunction)(void (*)(void))pbfast_decode_arguments, METH_FASTCALL,
     "decode_arguments(data, max_depth, empty_sets=-1) -> (args, kwargs), FALLBACK or "
     "TOO_MANY_EMPTY_SETS: one Arguments."},
    {"configure", (PyCFunction)(void (*)(void))pbfast_configure, METH_FASTCALL,
     "configure(datetime, date, time, timedelta, uuid, decimal): the extended kinds' "
     "constructors (without them, those kinds fall back)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pbfast_module = {
    PyModuleDef_HEAD_INIT,
    "_pbfast",
    "C fast path for reading serialized flowwire.v1.Value messages (see _pbfast.c).",
    -1,
    pbfast_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__pbfast(void)
{
    PyObject *module = PyModule_Create(&pbfast_module);
    if (module == NULL) {
        return NULL;
    }
    FALLBACK = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (FALLBACK == NULL || PyModule_AddObjectRef(module, "FALLBACK", FALLBACK) < 0) {
        Py_XDECREF(FALLBACK);
        Py_DECREF(module);
        return NULL;
    }
    TOO_MANY_EMPTY_SETS = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (TOO_MANY_EMPTY_SETS == NULL ||
        PyModule_AddObjectRef(module, "TOO_MANY_EMPTY_SETS", TOO_MANY_EMPTY_SETS) < 0) {
        Py_XDECREF(TOO_MANY_EMPTY_SETS);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
