DROP TABLE research_tasks;
