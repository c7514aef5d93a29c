package store

import (
	"context"
)

// IndexNamesForTest lists the names of a collection's indexes.
func (s *Store) IndexNamesForTest(ctx context.Context, coll string) ([]string, error) {
	cur, err := s.db.Collection(coll).Indexes().List(ctx)
	if err != nil {
		return nil, err
	}
	var have []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &have); err != nil {
		return nil, err
	}
	var out []string
	for _, h := range have {
		out = append(out, h.Name)
	}
	return out, nil
}
