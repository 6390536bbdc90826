package httpapi

import (
	"net/http"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// SCIM filters and PATCH operations (RFC 7644 §3.4.2.2, §3.5.2), applied
// to a resource whose keys are lower-cased (lowerKeys). The grammar is
// read by github.com/scim2/filter-parser; evaluating and patching is here.

// patchOp is one PATCH operation: op lower-cased, path as sent.
type patchOp struct {
	op    string
	path  string
	value any
}

// readPatch reads a PatchOp body: its Operations, each add, replace or
// remove (in any case: Entra ID sends "Replace").
func readPatch(w http.ResponseWriter, r *http.Request) ([]patchOp, error) {
	m, err := readSCIM(w, r)
	if err != nil {
		return nil, err
	}
	list, _ := m["operations"].([]any)
	if len(list) == 0 {
		return nil, scimProblem(http.StatusBadRequest, "invalidValue", "A PATCH needs Operations (schema %s).", scimPatchSchema)
	}
	ops := make([]patchOp, 0, len(list))
	for _, e := range list {
		om, _ := e.(map[string]any)
		op, _ := om["op"].(string)
		path, _ := om["path"].(string)
		o := patchOp{op: strings.ToLower(op), path: strings.TrimSpace(path), value: om["value"]}
		switch {
		case o.op != "add" && o.op != "replace" && o.op != "remove":
			return nil, scimProblem(http.StatusBadRequest, "invalidValue", "Unknown PATCH op %q: add, replace or remove.", op)
		case o.op == "remove" && o.path == "":
			return nil, scimProblem(http.StatusBadRequest, "noTarget", "A remove needs a path.")
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// applyPatch applies the operations to res in order.
func applyPatch(res map[string]any, ops []patchOp) error {
	for _, o := range ops {
		if o.path != "" {
			if err := applyPath(res, o.op, o.path, o.value); err != nil {
				return err
			}
			continue
		}
		// Without a path the value is an object of attributes (or paths,
		// as Entra ID sends "name.givenName") to add or replace.
		obj, ok := o.value.(map[string]any)
		if !ok {
			return scimProblem(http.StatusBadRequest, "invalidValue", "An %s without a path needs an object as its value.", o.op)
		}
		for k, v := range obj {
			if sub, ok := v.(map[string]any); ok && k == enterpriseKey {
				for sk, sv := range sub {
					if err := applyPath(res, o.op, scimEnterpriseSchema+":"+sk, sv); err != nil {
						return err
					}
				}
				continue
			}
			if err := applyPath(res, o.op, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// container is the object a path's URI prefix names: the resource, or its
// enterprise extension (made when create is set).
func container(res map[string]any, p filter.AttributePath, create bool) (map[string]any, error) {
	switch uri := strings.ToLower(p.URI()); uri {
	case "", strings.ToLower(scimUserSchema), strings.ToLower(scimGroupSchema):
		return res, nil
	case enterpriseKey:
		ext, _ := res[enterpriseKey].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			if create {
				res[enterpriseKey] = ext
			}
		}
		return ext, nil
	default:
		return nil, scimProblem(http.StatusBadRequest, "invalidPath", "Unknown schema %q.", p.URI())
	}
}

func applyPath(res map[string]any, op, path string, value any) error {
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return scimProblem(http.StatusBadRequest, "invalidPath", "The path %q cannot be read: %v", path, err)
	}
	c, err := container(res, p.AttributePath, op != "remove")
	if err != nil {
		return err
	}
	attr := strings.ToLower(p.AttributePath.AttributeName)
	sub := strings.ToLower(p.AttributePath.SubAttributeName())
	if p.ValueExpression != nil {
		return patchFiltered(c, op, attr, p.ValueExpression, strings.ToLower(p.SubAttributeName()), value)
	}
	if sub != "" { // name.familyName
		switch cur := c[attr].(type) {
		case []any:
			for _, e := range cur {
				if em, ok := e.(map[string]any); ok {
					setOrDelete(em, op, sub, value)
				}
			}
		case map[string]any:
			setOrDelete(cur, op, sub, value)
		default:
			if op != "remove" {
				c[attr] = map[string]any{sub: value}
			}
		}
		return nil
	}
	cur := c[attr]
	switch op {
	case "remove":
		list, isList := cur.([]any)
		drop, hasValues := value.([]any)
		if isList && hasValues && len(drop) > 0 {
			// Entra ID removes members by listing them in value.
			c[attr] = slices.DeleteFunc(slices.Clone(list), func(e any) bool {
				return slices.ContainsFunc(drop, func(d any) bool { return sameValue(e, d) })
			})
			return nil
		}
		delete(c, attr)
	case "add":
		if list, ok := cur.([]any); ok {
			add, isList := value.([]any)
			if !isList {
				add = []any{value}
			}
			for _, a := range add {
				if !slices.ContainsFunc(list, func(e any) bool { return sameValue(e, a) }) {
					list = append(list, a)
				}
			}
			c[attr] = list
			return nil
		}
		fallthrough
	case "replace":
		if old, ok := cur.(map[string]any); ok {
			if nv, ok := value.(map[string]any); ok {
				for k, v := range nv {
					old[k] = v
				}
				return nil
			}
		}
		c[attr] = value
	}
	return nil
}

func setOrDelete(m map[string]any, op, key string, value any) {
	if op == "remove" {
		delete(m, key)
	} else {
		m[key] = value
	}
}

// sameValue reports whether two entries of a multi-valued attribute are
// the same: equal "value" sub-attributes (a member's id), or equal scalars.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, _ := am["value"].(string)
		bv, _ := bm["value"].(string)
		return av != "" && av == bv
	}
	return !aok && !bok && a == b
}

// patchFiltered applies an operation to the entries of a multi-valued
// attribute that match expr, as in emails[type eq "work"].value or
// members[value eq "id"]. An add or replace of a sub-attribute that
// matches no entry makes one from the filter's eq terms.
func patchFiltered(c map[string]any, op, attr string, expr filter.Expression, sub string, value any) error {
	list, _ := c[attr].([]any)
	var hit []int
	for i, e := range list {
		if em, ok := e.(map[string]any); ok && scimMatch(expr, em) {
			hit = append(hit, i)
		}
	}
	switch {
	case op == "remove" && sub == "":
		c[attr] = slices.DeleteFunc(slices.Clone(list), func(e any) bool {
			em, ok := e.(map[string]any)
			return ok && scimMatch(expr, em)
		})
	case op == "remove":
		for _, i := range hit {
			delete(list[i].(map[string]any), sub)
		}
	case len(hit) == 0:
		entry := map[string]any{}
		eqTerms(expr, entry)
		if sub != "" {
			entry[sub] = value
		} else if nv, ok := value.(map[string]any); ok {
			for k, v := range nv {
				entry[k] = v
			}
		} else {
			return scimProblem(http.StatusBadRequest, "invalidValue", "The value for %s must be an object.", attr)
		}
		c[attr] = append(list, entry)
	default:
		for _, i := range hit {
			em := list[i].(map[string]any)
			if sub != "" {
				em[sub] = value
				continue
			}
			nv, ok := value.(map[string]any)
			if !ok {
				return scimProblem(http.StatusBadRequest, "invalidValue", "The value for %s must be an object.", attr)
			}
			for k, v := range nv {
				em[k] = v
			}
		}
	}
	return nil
}

// eqTerms copies the "attr eq value" terms of a filter into entry.
func eqTerms(expr filter.Expression, entry map[string]any) {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e.Operator == filter.EQ && e.AttributePath.SubAttribute == nil {
			entry[strings.ToLower(e.AttributePath.AttributeName)] = e.CompareValue
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			eqTerms(e.Left, entry)
			eqTerms(e.Right, entry)
		}
	}
}

// scimMatch reports whether the resource (or an entry of a multi-valued
// attribute) m matches the filter.
func scimMatch(expr filter.Expression, m map[string]any) bool {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return scimMatch(e.Left, m) && scimMatch(e.Right, m)
		}
		return scimMatch(e.Left, m) || scimMatch(e.Right, m)
	case *filter.NotExpression:
		return !scimMatch(e.Expression, m)
	case *filter.ValuePath:
		c, err := container(m, e.AttributePath, false)
		if err != nil {
			return false
		}
		list, _ := c[strings.ToLower(e.AttributePath.AttributeName)].([]any)
		return slices.ContainsFunc(list, func(x any) bool {
			xm, ok := x.(map[string]any)
			return ok && scimMatch(e.ValueFilter, xm)
		})
	case *filter.AttributeExpression:
		values := attrValues(m, e.AttributePath)
		if e.Operator == filter.PR {
			return slices.ContainsFunc(values, func(v any) bool { return v != nil && v != "" })
		}
		name := strings.ToLower(e.AttributePath.AttributeName)
		exact := (name == "id" || name == "externalid") && e.AttributePath.SubAttribute == nil
		return slices.ContainsFunc(values, func(v any) bool { return compare(v, e.Operator, e.CompareValue, exact) })
	}
	return false
}

// attrValues lists the values a filter's attribute path names in m: the
// attribute's, or its sub-attribute's in each entry; "value" for the
// entries of a multi-valued attribute named alone.
func attrValues(m map[string]any, p filter.AttributePath) []any {
	c, err := container(m, p, false)
	if err != nil {
		return nil
	}
	v := c[strings.ToLower(p.AttributeName)]
	sub := strings.ToLower(p.SubAttributeName())
	var out []any
	pick := func(x any) {
		if xm, ok := x.(map[string]any); ok {
			key := sub
			if key == "" {
				key = "value"
			}
			out = append(out, xm[key])
		} else if sub == "" {
			out = append(out, x)
		}
	}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			pick(x)
		}
	} else if v != nil {
		if _, ok := v.(map[string]any); ok && sub == "" {
			return nil
		}
		pick(v)
	}
	return out
}

// compare applies a filter operator; strings compare without case unless exact.
func compare(v any, op filter.CompareOperator, want any, exact bool) bool {
	switch a := v.(type) {
	case string:
		b, ok := want.(string)
		if !ok {
			return false
		}
		if !exact {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		switch op {
		case filter.EQ:
			return a == b
		case filter.NE:
			return a != b
		case filter.CO:
			return strings.Contains(a, b)
		case filter.SW:
			return strings.HasPrefix(a, b)
		case filter.EW:
			return strings.HasSuffix(a, b)
		case filter.GT:
			return a > b
		case filter.GE:
			return a >= b
		case filter.LT:
			return a < b
		case filter.LE:
			return a <= b
		}
	case bool:
		b, ok := want.(bool)
		if !ok {
			return false
		}
		switch op {
		case filter.EQ:
			return a == b
		case filter.NE:
			return a != b
		}
	}
	return false
}
