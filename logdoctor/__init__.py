"""logdoctor: diagnose Dovetail RuleManager email failures from Rulemanager.log."""

__version__ = "0.1.0"
