package redisstore

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
)

// problems collects what is wrong with a constructor's arguments and
// options; the constructor reports them all at once, as one
// *tiki.ValidationError, each named after its argument or option
// ("rdb", "WithLeaseTTL", "LimiterConfig.PerSecond").
type problems struct{ list []tiki.FieldProblem }

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, tiki.FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// checkClient adds a problem when rdb is nil.
func (p *problems) checkClient(isNil bool) {
	if isNil {
		p.add("rdb", "must not be a nil Redis client")
	}
}

// applyOptions applies every option of opts to cfg; a nil one, named
// typeName, is the problem of opts[i].
func applyOptions[C any, O ~func(*C)](p *problems, typeName string, cfg *C, opts []O) {
	for i, opt := range opts {
		if opt == nil {
			p.add("opts["+strconv.Itoa(i)+"]", "is a nil %s", typeName)
			continue
		}
		opt(cfg)
	}
}

// isNilClient reports whether rdb is nil or holds a nil pointer.
func isNilClient(rdb redis.UniversalClient) bool {
	if rdb == nil {
		return true
	}
	v := reflect.ValueOf(rdb)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// err returns the problems as a *tiki.ValidationError, or nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &tiki.ValidationError{Problems: p.list}
}
