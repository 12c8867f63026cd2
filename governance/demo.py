"""Fixed values of the embedded demo (development only)."""

DEMO = {
    "tenant": "demo",
    "admin_email": "admin@demo.example",
    "admin_password": "demo-admin-password",
    "member_email": "member@demo.example",
    "operator_email": "operator@demo.example",
    "operator_password": "demo-operator-password",
}
