package bot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the one codec of a user's record (DESIGN §9): every store
// keeps what EncodeUser returns as opaque bytes and hands them back to
// DecodeUser, so no store knows a field of User and a new field is one line
// in one type: a field with a `rec:"N"` tag.
//
// The format is a version byte followed by the User struct, written by
// reflection once for every type:
//
//	struct   (field number uvarint, value)* 0   fields whose value is zero are left out
//	bool     uvarint 0 or 1
//	int*     zigzag varint       uint* uvarint      float32/64 fixed little-endian
//	string   uvarint length, bytes (also []byte)
//	Time     zigzag varint of Unix milliseconds (UTC on the way back)
//	slice    uvarint count, values
//	map      uvarint count, (key, value)* in key order
//
// Field numbers are the wire names: renaming a Go field changes nothing
// stored, and a number is never reused for another meaning. Reading a record
// with a field number this build does not know is an error (ErrNewerRecord),
// never silent loss: a record written by a newer release is refused rather
// than read and written back without the fields it added. Records of older
// versions are read: a field they lack is zero.
//
// Why not encoding/json: the typical user is 242 bytes in JSON with
// one-letter names and 134 here, and 2.5 times as slow to encode and
// decode (BenchmarkRecordCodec reports both); the record is most of what a
// user costs in Redis memory.

// recordVersion is the version byte EncodeUser writes. Bump it only for a
// change of the format itself; adding a field needs no bump.
const recordVersion = 1

// ErrNewerRecord reports a record written by a newer coachbot: a format
// version or a field this build does not know.
var ErrNewerRecord = errors.New("record written by a newer coachbot")

// EncodeUser returns u's record: everything but u.ID, which is the key it is
// stored under. Equal users encode to equal bytes.
func EncodeUser(u User) []byte {
	buf := make([]byte, 1, 128)
	buf[0] = recordVersion
	u.ID = ""
	return userPlan.encode(buf, reflect.ValueOf(u))
}

// DecodeUser reads a record EncodeUser wrote, for the user id. Empty data
// is the record of a user the store keeps nothing about: User{ID: id}.
// Errors wrap ErrNewerRecord when a newer coachbot wrote the record.
func DecodeUser(id UserID, data []byte) (User, error) {
	u := User{ID: id}
	if len(data) == 0 {
		return u, nil
	}
	if data[0] == 0 || data[0] > recordVersion {
		return User{}, fmt.Errorf("record version %d: %w", data[0], ErrNewerRecord)
	}
	d := decoder{data: data[1:]}
	userPlan.decode(&d, reflect.ValueOf(&u).Elem())
	if d.err == nil && len(d.data) > 0 {
		d.fail("%d bytes after the record", len(d.data))
	}
	if d.err != nil {
		return User{}, fmt.Errorf("decode user record: %w", d.err)
	}
	u.ID = id
	for i := range u.Reminders {
		u.Reminders[i].User = id
	}
	return u, nil
}

var (
	userType = reflect.TypeFor[User]()
	timeType = reflect.TypeFor[time.Time]()
)

// A plan encodes and decodes one type; plans are made once per type.
type plan struct {
	encode func(buf []byte, v reflect.Value) []byte
	decode func(d *decoder, v reflect.Value)
}

// userPlan is made when the package is initialised, by one goroutine, so
// that a field without a tag stops every program and test at once, and so
// that plans need no lock.
var userPlan = planOf(userType)

var plans = map[reflect.Type]*plan{} // written only while userPlan is made

func planOf(t reflect.Type) *plan {
	if p, ok := plans[t]; ok {
		return p
	}
	p := &plan{}
	plans[t] = p // before it is filled, so that a recursive type finds it
	makePlan(t, p)
	return p
}

// makePlan fills p for t. It panics on a type the format cannot hold or a
// struct field without a valid tag: a mistake in this package, found by the
// first test that encodes a user.
func makePlan(t reflect.Type, p *plan) {
	switch {
	case t == timeType:
		p.encode = func(buf []byte, v reflect.Value) []byte {
			return binary.AppendVarint(buf, v.Interface().(time.Time).UnixMilli())
		}
		p.decode = func(d *decoder, v reflect.Value) {
			ms := d.varint()
			if ms == zeroTimeMillis {
				v.Set(reflect.Zero(timeType))
				return
			}
			v.Set(reflect.ValueOf(time.UnixMilli(ms).UTC()))
		}
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		p.encode = func(buf []byte, v reflect.Value) []byte {
			if v.Bool() {
				return append(buf, 1)
			}
			return append(buf, 0)
		}
		p.decode = func(d *decoder, v reflect.Value) {
			switch d.uvarint() {
			case 0:
				v.SetBool(false)
			case 1:
				v.SetBool(true)
			default:
				d.fail("bad bool")
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.encode = func(buf []byte, v reflect.Value) []byte { return binary.AppendVarint(buf, v.Int()) }
		p.decode = func(d *decoder, v reflect.Value) {
			n := d.varint()
			if v.OverflowInt(n) {
				d.fail("%d overflows %s", n, t)
				return
			}
			v.SetInt(n)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.encode = func(buf []byte, v reflect.Value) []byte { return binary.AppendUvarint(buf, v.Uint()) }
		p.decode = func(d *decoder, v reflect.Value) {
			n := d.uvarint()
			if v.OverflowUint(n) {
				d.fail("%d overflows %s", n, t)
				return
			}
			v.SetUint(n)
		}
	case reflect.Float32:
		p.encode = func(buf []byte, v reflect.Value) []byte {
			return binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v.Float())))
		}
		p.decode = func(d *decoder, v reflect.Value) {
			if b := d.take(4); b != nil {
				v.SetFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
			}
		}
	case reflect.Float64:
		p.encode = func(buf []byte, v reflect.Value) []byte {
			return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Float()))
		}
		p.decode = func(d *decoder, v reflect.Value) {
			if b := d.take(8); b != nil {
				v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)))
			}
		}
	case reflect.String:
		p.encode = func(buf []byte, v reflect.Value) []byte {
			s := v.String()
			return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
		}
		p.decode = func(d *decoder, v reflect.Value) {
			if b := d.take(d.count(1)); b != nil {
				v.SetString(string(b))
			}
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p.encode = func(buf []byte, v reflect.Value) []byte {
				return append(binary.AppendUvarint(buf, uint64(v.Len())), v.Bytes()...)
			}
			p.decode = func(d *decoder, v reflect.Value) {
				if b := d.take(d.count(1)); b != nil && len(b) > 0 {
					v.SetBytes(slices.Clone(b))
				}
			}
			return
		}
		elem := planOf(t.Elem())
		p.encode = func(buf []byte, v reflect.Value) []byte {
			buf = binary.AppendUvarint(buf, uint64(v.Len()))
			for i := range v.Len() {
				buf = elem.encode(buf, v.Index(i))
			}
			return buf
		}
		p.decode = func(d *decoder, v reflect.Value) {
			n := d.count(1) // every value takes at least one byte
			if n == 0 || d.err != nil {
				return
			}
			s := reflect.MakeSlice(t, n, n)
			for i := range n {
				elem.decode(d, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		key, elem := planOf(t.Key()), planOf(t.Elem())
		less := keyOrder(t.Key())
		p.encode = func(buf []byte, v reflect.Value) []byte {
			keys := v.MapKeys()
			slices.SortFunc(keys, less)
			buf = binary.AppendUvarint(buf, uint64(len(keys)))
			for _, k := range keys {
				buf = key.encode(buf, k)
				buf = elem.encode(buf, v.MapIndex(k))
			}
			return buf
		}
		p.decode = func(d *decoder, v reflect.Value) {
			n := d.count(2)
			if n == 0 || d.err != nil {
				return
			}
			m := reflect.MakeMapWithSize(t, n)
			for range n {
				k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
				key.decode(d, k)
				elem.decode(d, e)
				if d.err != nil {
					return
				}
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		structPlan(t, p)
	default:
		panic(fmt.Sprintf("bot: the record format cannot hold %s", t))
	}
}

// zeroTimeMillis is what the zero time.Time encodes to; it decodes back to
// the zero time, not to a time in year 1 UTC with a location.
var zeroTimeMillis = time.Time{}.UnixMilli()

type field struct {
	num   uint64
	index int
	plan  *plan
}

// structPlan reads the `rec:"N"` tags of t. Every field must have one: an
// exported field with none would silently not be stored, which is the bug
// this codec exists to end. `rec:"-"` leaves a field out (the id, which is
// the key).
func structPlan(t reflect.Type, p *plan) {
	var fields []field
	byNum := map[uint64]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("rec")
		if tag == "-" {
			continue
		}
		num, err := strconv.ParseUint(tag, 10, 32)
		if !ok || err != nil || num == 0 || !f.IsExported() {
			panic(fmt.Sprintf("bot: %s.%s needs a tag rec:\"N\" (N >= 1) or rec:\"-\"", t, f.Name))
		}
		if _, dup := byNum[num]; dup {
			panic(fmt.Sprintf("bot: %s has two fields numbered %d", t, num))
		}
		byNum[num] = len(fields)
		fields = append(fields, field{num: num, index: i, plan: planOf(f.Type)})
	}
	p.encode = func(buf []byte, v reflect.Value) []byte {
		for _, f := range fields {
			fv := v.Field(f.index)
			if isEmpty(fv) {
				continue
			}
			buf = binary.AppendUvarint(buf, f.num)
			buf = f.plan.encode(buf, fv)
		}
		return append(buf, 0)
	}
	p.decode = func(d *decoder, v reflect.Value) {
		for d.err == nil {
			num := d.uvarint()
			if num == 0 || d.err != nil {
				return
			}
			i, ok := byNum[num]
			if !ok {
				d.fail("%s field %d: %w", t, num, ErrNewerRecord)
				return
			}
			fields[i].plan.decode(d, v.Field(fields[i].index))
		}
	}
}

// isEmpty reports whether a field is left out: its zero value, or an empty
// slice or map (which decode as nil: the two mean the same in a record).
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).IsZero()
		}
	}
	return v.IsZero()
}

// keyOrder sorts map keys so that equal maps encode to equal bytes.
func keyOrder(t reflect.Type) func(a, b reflect.Value) int {
	switch t.Kind() {
	case reflect.String:
		return func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(a, b reflect.Value) int { return compare(a.Int(), b.Int()) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(a, b reflect.Value) int { return compare(a.Uint(), b.Uint()) }
	}
	panic(fmt.Sprintf("bot: the record format cannot hold map keys of %s", t))
}

func compare[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decoder reads a record, remembering the first error; after one, every
// read returns zero so the plans need not check after each.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	n, size := binary.Uvarint(d.data)
	if size <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.data = d.data[size:]
	return n
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	n, size := binary.Varint(d.data)
	if size <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.data = d.data[size:]
	return n
}

// count reads a length or count, refusing one that the rest of the record
// cannot hold at perItem bytes an item: a corrupt count must not make the
// decoder allocate gigabytes.
func (d *decoder) count(perItem int) int {
	n := d.uvarint()
	if n > uint64(len(d.data)/perItem) {
		d.fail("count %d is longer than the record", n)
		return 0
	}
	return int(n)
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.data) {
		d.fail("record ends early")
		return nil
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b
}
