"""The API's views, one module per area of the site."""
