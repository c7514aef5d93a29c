package store

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// todoIndexes serve every todo query: each is scoped by user_id.
func todoIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}}, Options: options.Index().SetName("user_order")},
	}
}
