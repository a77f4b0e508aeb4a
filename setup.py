"""Installs the metaads extension and the host platform's plugins it extends."""

from setuptools import find_packages, setup

setup(
    name="metaads",
    version="0.1.0",
    description="Meta Marketing API (lead ads, ads, insights) for a Flask platform with a socials module",
    python_requires=">=3.11",
    packages=find_packages(include=["metaads", "metaads.*", "plugins", "plugins.*"]),
    include_package_data=True,
    package_data={"": ["templates/**/*", "static/**/*"]},
    install_requires=[
        "flask>=3.1",
        "flask-sqlalchemy>=3.1",
        "flask-migrate>=4.1",
        "flask-login>=0.6.3",
        "flask-wtf>=1.2",
        "sqlalchemy>=2.0",
        "rq>=2.5",
        "redis>=5.0.1",
        "requests>=2.32",
        "marshmallow>=3.20",
        "apispec[marshmallow]>=6.6",
        "cryptography>=42",
        "argon2-cffi>=23.1",
        "phonenumbers>=8.13",
        "babel>=2.14",
        "psycopg[binary]>=3.1",
        "gunicorn>=22",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "hypothesis>=6.100",
            "facebook-business>=25.0",
            "playwright>=1.45",
            "aiosmtpd>=1.4",
            "schemathesis>=4.0",
            "openapi-spec-validator>=0.7",
        ],
        "lint": ["ruff>=0.6", "mypy>=1.10", "types-requests"],
    },
)
