"""The only place that speaks to Shopify or imports its libraries (`shopifyapp`, `ShopifyAPI`)."""
