package storetest

import (
	"fmt"
	"reflect"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// Filled returns a user of id with every field of the record set to a
// value of its own, found by reflection: a field added to bot.User later is
// set here without anyone remembering to, so a store that loses it fails
// the suite. Slices and maps get two entries; the reminders are paused, so
// that a store holding them schedules nothing.
func Filled(id bot.UserID) bot.User {
	f := filler{base: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	var u bot.User
	f.fill(reflect.ValueOf(&u).Elem())
	u.ID = id
	for i := range u.Reminders {
		u.Reminders[i].User = id
	}
	return u
}

// filler makes every value it writes different from the others, so a
// store that swaps two fields fails too.
type filler struct {
	n    int
	base time.Time
}

func (f *filler) next() int { f.n++; return f.n }

func (f *filler) fill(v reflect.Value) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		// Milliseconds: what every store keeps.
		v.Set(reflect.ValueOf(f.base.Add(time.Duration(f.next())*time.Minute + 7*time.Millisecond)))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.next() % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.next() % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.25)
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d ✓", f.next()))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k)
			f.fill(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("rec") != "-" {
				f.fill(v.Field(i))
			}
		}
	default:
		panic(fmt.Sprintf("storetest: Filled cannot set a %s", v.Type()))
	}
}
