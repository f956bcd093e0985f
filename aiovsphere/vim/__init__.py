"""The vim25 type system: data objects, enums, managed types and the schema behind them."""
