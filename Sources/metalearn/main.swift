print("metalearn")
