print("metalearn-data: converters arrive with issue 3")
